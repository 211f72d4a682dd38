// Issue #4's replication scenarios against real processes: each runs on Coordinator and on Apache ZooKeeper (the oracle).
using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;
using Coordinator.Compat.Tests;

namespace Coordinator.Ensemble.Tests;

/// <summary>
/// The scenarios, written once. The kazoo side lives in tests/ensemble/ensemble_scenarios.py; the harness
/// (EnsembleCluster) owns the processes. The ZooKeeper subclass proves each scenario is right; the
/// Coordinator subclass is the server under test.
/// </summary>
public abstract class EnsembleScenarioTests(ServerKind kind, ITestOutputHelper output)
{
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromSeconds(240);

    [Fact]
    public Task LeaderFailoverUnderLoadLosesNoAcknowledgedWrite() => RunAsync("failover", voters: 3, observers: 0);

    [Fact]
    public Task SessionEphemeralAndWatchSurviveLeaderFailover() => RunAsync("sessions", voters: 3, observers: 0);

    [Fact]
    public Task ClientOnFollowerReadsItsOwnWrites() => RunAsync("read_your_writes", voters: 3, observers: 0);

    [Fact]
    public Task ObserverServesReadsForwardsWritesAndIsNeverLeader() => RunAsync("observer", voters: 3, observers: 1);

    [Fact]
    public Task MinorityDownKeepsWritingMajorityDownRefuses() => RunAsync("minority", voters: 3, observers: 0);

    /// <summary>The leader's mntr counts its synced learners (monitoring templates read these); a follower's has none.</summary>
    [Fact]
    public async Task LeaderMntrCountsSyncedFollowersAndObservers()
    {
        await using var cluster = await EnsembleCluster.StartAsync(kind, voters: 3, observers: 1, Trace);
        var timeout = TimeSpan.FromSeconds(10);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        foreach (var node in cluster.Nodes)
        {
            while (true)
            {
                string mntr = await Loopback.FourLetterWordAsync(node.ClientPort, "mntr", timeout) ?? "";
                var values = mntr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))
                    .Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
                string state = values.GetValueOrDefault("zk_server_state", "");
                bool settled = state == "leader"
                    ? values.GetValueOrDefault("zk_synced_followers") == "2" && values.GetValueOrDefault("zk_synced_observers") == "1"
                    : state is "follower" or "observer" && !values.ContainsKey("zk_synced_followers");
                if (settled) break;
                Assert.True(DateTime.UtcNow < deadline, $"{kind} {node}: mntr did not settle:\n{mntr}\n{cluster.DescribeLogs()}");
                await Task.Delay(200);
            }
        }
    }

    private async Task RunAsync(string scenario, int voters, int observers)
    {
        var watch = Stopwatch.StartNew();
        await using var cluster = await EnsembleCluster.StartAsync(kind, voters, observers, Trace);
        ScenarioResult result;
        try
        {
            result = await ScenarioScript.RunAsync(cluster, scenario, ScenarioTimeout, Trace);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"running scenario {scenario} against {kind} broke: {e.Message}\n{cluster.DescribeLogs()}", e);
        }
        output.WriteLine($"--- kazoo scenario {scenario} ({ScenarioScript.Describe(result)}) ---");
        output.WriteLine(result.Transcript);
        foreach (string m in result.Measures) output.WriteLine($"MEASURE {kind} {scenario} {m}");
        output.WriteLine($"TOTAL {kind} {scenario} {watch.Elapsed.TotalSeconds:F1} s (cluster start + scenario)");
        if (result.Passed) return;
        Assert.Fail(new StringBuilder()
            .Append($"scenario {scenario} failed against {kind}: {ScenarioScript.Describe(result)}\n")
            .Append("--- kazoo scenario transcript ---\n").Append(result.Transcript)
            .Append(cluster.DescribeLogs()).ToString());
    }

    private void Trace(string line)
    {
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
        }
        catch (InvalidOperationException)
        {
            // the test already finished
        }
    }
}

/// <summary>The server under test. Fails until replication is wired into the server (issue #4).</summary>
public sealed class CoordinatorEnsembleTests(ITestOutputHelper output) : EnsembleScenarioTests(ServerKind.Coordinator, output);

/// <summary>The oracle: the same scenarios against Apache ZooKeeper 3.8 prove the scenarios themselves are right.</summary>
public sealed class ZooKeeperEnsembleTests(ITestOutputHelper output) : EnsembleScenarioTests(ServerKind.ZooKeeper, output);
