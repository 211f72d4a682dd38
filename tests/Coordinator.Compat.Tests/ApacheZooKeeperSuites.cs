// The suites against Apache ZooKeeper 3.8: they must pass, which proves the suites themselves are right.
using Xunit.Abstractions;

namespace Coordinator.Compat.Tests;

public sealed class ApacheZooKeeperSuites(ApacheZooKeeperProcess zk, ITestOutputHelper output) : IClassFixture<ApacheZooKeeperProcess>
{
    [Fact]
    public Task KazooSuite() => CompatSuites.AssertPassesAsync(zk, CompatSuites.Kazoo, output);

    [Fact]
    public Task ZkCliSuite() => CompatSuites.AssertPassesAsync(zk, CompatSuites.ZkCli, output);

    [Fact]
    public Task CliMtSuite() => CompatSuites.AssertPassesAsync(zk, CompatSuites.CliMt, output);

    /// <summary>The differential script must print the same JSON twice against the same server, or diffs mean nothing.</summary>
    [Fact]
    public async Task DiffOpsIsDeterministic()
    {
        string first = await CompatSuites.DiffOpsAsync(zk, output);
        string second = await CompatSuites.DiffOpsAsync(zk, output);
        Assert.Contains("\"op\"", first, StringComparison.Ordinal);
        if (first != second)
        {
            Assert.Fail("diff_ops.py printed different JSON on two runs against Apache ZooKeeper:\n"
                        + TextDiff.Unified(first, second, "run 1", "run 2"));
        }
    }
}
