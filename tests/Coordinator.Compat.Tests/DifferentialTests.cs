// Differential test: diff_ops.py must print byte-identical JSON against Apache ZooKeeper and against Coordinator.
using Xunit.Abstractions;

namespace Coordinator.Compat.Tests;

public sealed class DifferentialTests(ApacheZooKeeperProcess zk, CoordinatorProcess coordinator, ITestOutputHelper output)
    : IClassFixture<ApacheZooKeeperProcess>, IClassFixture<CoordinatorProcess>
{
    [Fact]
    public async Task DiffOpsMatchesApacheZooKeeper()
    {
        string expected = await CompatSuites.DiffOpsAsync(zk, output);
        string actual = await CompatSuites.DiffOpsAsync(coordinator, output);
        if (expected == actual) return;
        Assert.Fail("diff_ops.py output differs (- Apache ZooKeeper, + Coordinator):\n"
                    + TextDiff.Unified(expected, actual, "Apache ZooKeeper 3.8", "Coordinator")
                    + $"\n--- Coordinator output (pid {coordinator.ProcessId}) ---\n{coordinator.RecentOutput()}");
    }
}
