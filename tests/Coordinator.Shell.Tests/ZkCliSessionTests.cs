// The zkCli session, typed into the shell through a pseudo-terminal, must print what the real zkCli prints.
using Coordinator.Compat.Tests;

namespace Coordinator.Shell.Tests;

public sealed class ZkCliSessionTests(ApacheZooKeeperProcess zookeeper, CoordinatorProcess coordinator)
    : IClassFixture<ApacheZooKeeperProcess>, IClassFixture<CoordinatorProcess>
{
    private static readonly string[] Session =
    [
        "ls /", "create /app1", "set /app1 hello", "get /app1", "create /app1/cless", "ls /app1",
        "set /app1/cless 61", "get /app1/cless", "stat /zookeeper", "delete /app1/cless", "delete /app1", "ls /",
    ];

    private static List<string> Clean(IEnumerable<string> lines) => [.. lines.Select(l => l.TrimEnd()).Where(l => l.Length > 0)];

    private static async Task<List<List<string>>> RunOursAsync(string server)
    {
        await using var shell = await InteractiveSession.StartAsync(server);
        var blocks = new List<List<string>>();
        foreach (string command in Session) blocks.Add(Clean(await shell.RunAsync(command)));
        return blocks;
    }

    private static void AssertSame(List<List<string>> expected, List<List<string>> actual, string what)
    {
        for (int i = 0; i < Session.Length; i++)
        {
            Assert.True(Clean(expected[i]).SequenceEqual(actual[i]),
                $"{what}: '{Session[i]}' printed\n{string.Join('\n', actual[i])}\nbut zkCli printed\n{string.Join('\n', Clean(expected[i]))}");
        }
    }

    [Fact]
    public async Task Session_against_Apache_ZooKeeper_prints_what_zkCli_prints()
    {
        zookeeper.EnsureStarted();
        // The same server, one after the other: zkCli first, then the shell (the session ends where it began).
        var expected = await ZkCliReference.RunAsync(zookeeper.HostPort, Session);
        var actual = await RunOursAsync(zookeeper.HostPort);
        Assert.Equal("hello", Assert.Single(Clean(expected[3])));
        AssertSame(expected, actual, "shell on Apache ZooKeeper");
    }

    [Fact]
    public async Task Session_against_Coordinator_prints_what_zkCli_prints_against_Apache_ZooKeeper()
    {
        zookeeper.EnsureStarted();
        coordinator.EnsureStarted();
        var expected = await ZkCliReference.RunAsync(zookeeper.HostPort, Session);
        var actual = await RunOursAsync(coordinator.HostPort);
        AssertSame(expected, actual, "shell on Coordinator");
    }
}
