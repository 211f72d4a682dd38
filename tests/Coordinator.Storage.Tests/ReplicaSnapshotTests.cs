// Recovery without replay, snapshots as bytes for a learner, and installing one over a directory with logs.
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

public sealed class ReplicaSnapshotTests
{
    [Fact]
    public void LoadForReplicationReturnsTheSnapshotTreeAndTheLoggedTxnsUnapplied()
    {
        using var disk = new ReplicaDisk();
        disk.Log(1, disk.LastZxid, 10, 30);
        disk.Snapshot(10);
        disk.Snapshot(30);

        var state = Recovery.LoadForReplication(disk.Device, ReplicaDisk.DataDir, ReplicaDisk.DataDir);
        Assert.Empty(state.Warnings);
        Assert.Equal(30, state.SnapshotZxid);
        Assert.EndsWith("snapshot.1e", state.SnapshotFile);
        Assert.Equal(30, state.Tree.LastProcessedZxid);
        TreeAssert.Equal(disk.TreeAt(30), state.Tree);
        Assert.Equal(disk.LastZxid, state.LastLoggedZxid);
        var expected = disk.Script.Entries.Where(e => e.Header.Zxid > 30).ToList();
        Assert.Equal(expected.Select(TxnSerializer.Serialize), state.LogAfterSnapshot.Select(TxnSerializer.Serialize));

        // Applying them gives what the standalone recovery replays.
        foreach (var entry in state.LogAfterSnapshot) state.Tree.Apply(entry.Header, entry.Txn);
        TreeAssert.Equal(Recovery.Load(disk.Device, ReplicaDisk.DataDir, ReplicaDisk.DataDir).Tree, state.Tree);
    }

    [Fact]
    public void LoadForReplicationCutsATornTailWithAWarning()
    {
        using var disk = new ReplicaDisk();
        disk.Log(1, disk.LastZxid, 10);
        string newest = disk.PathOf("log.b");
        long last = new TxnLogReader(disk.Device, ReplicaDisk.Folder).ReadFrom(disk.LastZxid).Single().Offset;
        var bytes = disk.Device.ReadAllBytes(newest);
        bytes[last + 30] ^= 0x40;
        disk.Device.WriteAllBytes(newest, bytes);

        var state = Recovery.LoadForReplication(disk.Device, ReplicaDisk.DataDir, ReplicaDisk.DataDir);
        var warning = Assert.Single(state.Warnings);
        Assert.Contains("torn tail", warning.Message);
        Assert.Equal(disk.LastZxid - 1, state.LastLoggedZxid);
        Assert.Equal(ReplicaDisk.Range(1, disk.LastZxid - 1), state.LogAfterSnapshot.Select(e => e.Header.Zxid));
        Assert.Equal(last, disk.Device.FileLength(newest));
    }

    [Fact]
    public void SerializedSnapshotIsTheSnapshotFileAndParsesBackToTheSameTree()
    {
        var script = TxnScript.Everything();
        var tree = script.Tree;
        byte[] bytes = SnapshotWriter.Serialize(tree);

        var device = new MemoryDevice();
        string file = SnapshotWriter.Write(device, ReplicaDisk.Folder, tree, tree.LastProcessedZxid);
        Assert.EndsWith(ZkFiles.SnapshotName(script.LastZxid), file);
        Assert.Equal(device.ReadAllBytes(file), bytes);

        var parsed = SnapshotReader.Parse(bytes, tree.LastProcessedZxid, "from the leader");
        TreeAssert.Equal(tree, parsed.Tree);
        Assert.Equal(tree.NodeCount, parsed.Tree.NodeCount);
        Assert.Equal(TreeDigest.Of(tree), TreeDigest.Of(parsed.Tree));
        Assert.Equal(TreeDigest.Of(tree), parsed.Digest!.Value.Digest);
        Assert.Equal(script.LastZxid, parsed.Tree.LastProcessedZxid);
        Assert.Equal(tree.GetNode("/a")!.Mzxid, parsed.Tree.GetNode("/a")!.Mzxid);
        Assert.NotEmpty(parsed.Tree.Sessions);
    }

    [Fact]
    public void InstalledSnapshotReplacesTheLogAndNewerSnapshots()
    {
        using var disk = new ReplicaDisk();
        disk.Log(1, disk.LastZxid, 10, 25);
        disk.Writer.Roll();
        disk.Snapshot(10);
        disk.Snapshot(45); // cannot exist under ZAB; removed defensively
        byte[] leader = SnapshotWriter.Serialize(disk.TreeAt(40));

        var installed = SnapshotInstall.Install(disk.Device, ReplicaDisk.DataDir, ReplicaDisk.DataDir, 40, leader);
        Assert.Equal(disk.PathOf("snapshot.28"), installed.File);
        Assert.Equal(40, installed.Tree.LastProcessedZxid);
        TreeAssert.Equal(disk.TreeAt(40), installed.Tree);
        Assert.Empty(disk.Files("log"));
        Assert.Equal(["snapshot.0", "snapshot.28", "snapshot.a"], disk.Files("snapshot"));
        Assert.Empty(disk.Files(ZkFiles.TempSnapshotPrefix));
        Assert.Equal(leader, disk.Device.ReadAllBytes(installed.File));
        disk.AssertRecovers(40, snapshotZxid: 40);

        disk.Writer.RestartAfter(40);
        disk.Log(41, disk.LastZxid);
        Assert.Equal(["log.29"], disk.Files("log"));
        disk.AssertRecovers(disk.LastZxid, snapshotZxid: 40);
    }

    [Fact]
    public void CorruptSnapshotIsRefusedAndNothingIsDeleted()
    {
        using var disk = new ReplicaDisk();
        disk.Log(1, disk.LastZxid, 10);
        disk.Writer.Roll();
        var before = disk.Device.ListFiles(ReplicaDisk.Folder);
        byte[] leader = SnapshotWriter.Serialize(disk.TreeAt(20));
        leader[leader.Length / 2] ^= 0x01;

        var e = Assert.Throws<StorageException>(() => SnapshotInstall.Install(disk.Device, ReplicaDisk.DataDir, ReplicaDisk.DataDir, 20, leader));
        Assert.Contains("0x14", e.Message);
        Assert.Equal(before, disk.Device.ListFiles(ReplicaDisk.Folder));
        disk.AssertRecovers(disk.LastZxid);
    }
}
