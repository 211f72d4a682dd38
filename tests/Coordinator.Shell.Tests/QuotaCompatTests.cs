// Quotas end to end: the real zkCli against Apache ZooKeeper 3.8 (enforceQuota on) and our shell against Coordinator
// must print the same, command by command: limits, usage the server counts, and QuotaExceeded refusals.
using Coordinator.Compat.Tests;

namespace Coordinator.Shell.Tests;

public sealed class QuotaCompatTests(ApacheZooKeeperProcess zookeeper, CoordinatorProcess coordinator)
    : IClassFixture<ApacheZooKeeperProcess>, IClassFixture<CoordinatorProcess>
{
    private static List<string> Clean(IEnumerable<string> lines) => [.. lines.Select(l => l.TrimEnd()).Where(l => l.Length > 0)];

    [Fact]
    public async Task Setquota_usage_and_hard_limits_match_Apache_ZooKeeper()
    {
        zookeeper.EnsureStarted();
        coordinator.EnsureStarted();
        string q = "/quota" + Guid.NewGuid().ToString("N")[..8];
        string[] session =
        [
            $"create {q}", $"create {q}/a abc", $"setquota -N 3 {q}", $"setquota -B 10 {q}", $"setquota -n 1 {q}",
            $"listquota {q}", $"create {q}/b", $"create {q}/c", $"set {q}/a 12345678901", $"set {q}/a 123456789",
            $"listquota {q}", $"delete {q}/b", $"listquota {q}", $"delquota -N {q}", $"create {q}/c", $"listquota {q}",
            $"delquota {q}", $"listquota {q}", $"deleteall {q}",
        ];
        var expected = await ZkCliReference.RunAsync(zookeeper.HostPort, session);
        Assert.Equal([$"Quota has exceeded : {q}/c"], Clean(expected[7])); // the oracle really enforces

        for (int i = 0; i < session.Length; i++)
        {
            var result = await ShellRunner.RunAsync(coordinator.HostPort, [.. CommandWords(session[i])]);
            var actual = Clean((result.Stdout + result.Stderr).Split('\n'));
            Assert.True(Clean(expected[i]).SequenceEqual(actual),
                $"'{session[i]}' printed\n{string.Join('\n', actual)}\nbut zkCli on Apache ZooKeeper printed\n{string.Join('\n', Clean(expected[i]))}");
        }
    }

    private static string[] CommandWords(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
