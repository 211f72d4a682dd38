// Interchange, Coordinator → ZooKeeper: files we write pass ZooKeeper's own tools and boot a real Apache ZooKeeper 3.8 that serves the same tree.
using System.Globalization;
using System.Text.RegularExpressions;
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

public sealed partial class ToZooKeeperTests
{
    [Fact]
    public async Task ZooKeeperToolsReadOurSnapshotsAndLogs()
    {
        using var temp = new TempDir("to-zk-tools");
        var script = TxnScript.Everything();
        RecoveryTests.Persist(PhysicalDevice.Instance, temp.Path, script, 10, 30);
        string folder = Path.Combine(temp.Path, ZkFiles.VersionFolder);
        var snapshots = ZkFiles.List(PhysicalDevice.Instance, folder, ZkFiles.SnapshotPrefix);
        var logs = ZkFiles.List(PhysicalDevice.Instance, folder, ZkFiles.LogPrefix);

        var snapshotRuns = snapshots.Select(s => ApacheZooKeeper.RunToolAsync("org.apache.zookeeper.server.SnapshotFormatter", s.Path)).ToList();
        var logRuns = logs.Select(l => ApacheZooKeeper.RunToolAsync("org.apache.zookeeper.server.persistence.TxnLogToolkit", l.Path)).ToList();
        await Task.WhenAll(snapshotRuns.Concat(logRuns));

        for (int i = 0; i < snapshots.Count; i++)
        {
            var outcome = await snapshotRuns[i];
            var tree = SnapshotReader.Read(PhysicalDevice.Instance, snapshots[i].Path).Tree;
            Assert.True(outcome.ExitCode == 0 && !outcome.Output.Contains("Exception", StringComparison.Ordinal), outcome.Describe("SnapshotFormatter"));
            // ZooKeeper counts the root twice (it keys it as both "" and "/"), for its own snapshots too.
            Assert.True(outcome.Output.Contains($"ZNode Details (count={tree.NodeCount + 1})", StringComparison.Ordinal), outcome.Output);
            Assert.True(outcome.Output.Contains($"Last zxid: 0x{snapshots[i].Zxid:x}", StringComparison.Ordinal), outcome.Output);
            foreach (string path in TreeAssert.PreOrder(tree)) Assert.True(outcome.Output.Contains("\n" + path + "\n", StringComparison.Ordinal), path + "\n" + outcome.Output);
        }
        int total = 0;
        for (int i = 0; i < logs.Count; i++)
        {
            var outcome = await logRuns[i];
            int expected = new TxnLogReader(PhysicalDevice.Instance, folder).ReadFrom(0).Count(t => t.File == logs[i].Path);
            Assert.True(outcome.ExitCode == 0 && !outcome.Output.Contains("CRC ERROR", StringComparison.Ordinal), outcome.Describe("TxnLogToolkit"));
            Assert.Contains($"EOF reached after {expected} txns.", outcome.Output);
            total += expected;
        }
        Assert.Equal(script.Entries.Count, total);
    }

    [Fact]
    public async Task ZooKeeperBootsFromOurFilesServesTheSameTreeAndWeLoadWhatItWritesBack()
    {
        using var temp = new TempDir("to-zk-boot");
        string dataDir = temp.Sub("data");
        var script = TxnScript.Everything();
        RecoveryTests.Persist(PhysicalDevice.Instance, dataDir, script, 10, 30);
        long expectedDigest = TreeDigest.Of(script.Tree);

        string output;
        await using (var zk = await ApacheZooKeeper.StartAsync(dataDir, temp.Path))
        {
            var dump = await ZnodeDump.RunDriverAsync("dump", zk.Port, temp.Path);
            output = zk.Output;
            ZnodeDump.AssertMatches(dump, script.Tree);
            string? mismatches = await zk.MetricAsync("zk_digest_mismatches_count");
            Assert.True(mismatches == "0", $"zk_digest_mismatches_count is {mismatches ?? "unreadable"}\n--- server ---\n{zk.Output}");
        }

        // ZooKeeper read our newest snapshot (it falls back to an older one silently when a snapshot is bad)...
        Assert.Contains("snapshot.1e", output);
        Assert.DoesNotContain("CRC", output);
        Assert.DoesNotContain("problem reading", output, StringComparison.OrdinalIgnoreCase);
        // ...and after replaying our log its tree digest is ours.
        var loaded = LoadedDigest().Match(output);
        Assert.True(loaded.Success, output);
        Assert.Equal(expectedDigest, long.Parse(loaded.Groups[1].Value, CultureInfo.InvariantCulture));

        // And back: what ZooKeeper wrote on top (its start-up snapshot, the dump session's txns) loads here.
        var state = Recovery.Load(dataDir);
        Assert.True(state.Warnings.Count == 0, string.Join("\n", state.Warnings));
        Assert.True(state.LastZxid > script.LastZxid);
        TreeAssert.Equal(script.Tree, state.Tree);
    }

    /// <summary>The control for the check above: ZooKeeper does notice a wrong digest in our log, so "0 mismatches" means something.</summary>
    [Fact]
    public async Task ZooKeeperCountsAWrongDigestInOurLog()
    {
        using var temp = new TempDir("to-zk-bad-digest");
        string dataDir = temp.Sub("data");
        var script = TxnScript.Everything();
        var last = script.Entries[^1];
        script.Entries[^1] = last with { Digest = new TxnDigest(TreeDigest.Version, last.Digest!.Value.TreeDigest + 1) };
        RecoveryTests.Persist(PhysicalDevice.Instance, dataDir, script, 10);

        await using var zk = await ApacheZooKeeper.StartAsync(dataDir, temp.Path);
        string? mismatches = await zk.MetricAsync("zk_digest_mismatches_count");
        Assert.True(mismatches == "1", $"zk_digest_mismatches_count is {mismatches ?? "unreadable"}\n--- server ---\n{zk.Output}");
    }

    [GeneratedRegex(@"Snapshot loaded in \d+ ms, highest zxid is 0x[0-9a-f]+, digest is (-?\d+)")]
    private static partial Regex LoadedDigest();
}
