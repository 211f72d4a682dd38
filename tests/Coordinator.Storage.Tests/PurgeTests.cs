// Purge.Plan and Execute: keep the newest N sound snapshots and every log replay from them needs.
namespace Coordinator.Storage.Tests;

public sealed class PurgeTests
{
    private const string DataDir = "/mem/data";
    private static readonly string Folder = Path.Combine(DataDir, ZkFiles.VersionFolder);

    private static MemoryDevice DeviceWithSnapshotsAt(params long[] zxids)
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        RecoveryTests.Persist(device, DataDir, script, zxids);
        return device;
    }

    [Fact]
    public void KeepsNewestThreeSnapshotsAndTheLogsTheyNeed()
    {
        // snapshot.0, log.1, snapshot.5, log.6, snapshot.a, log.b, snapshot.14, log.15, snapshot.1e, log.1f
        var device = DeviceWithSnapshotsAt(5, 10, 20, 30);
        var plan = Purge.Plan(device, DataDir, DataDir);
        Assert.Equal(10, plan.OldestKeptZxid);
        Assert.Equal(["snapshot.0", "snapshot.5"], plan.Snapshots.Select(Path.GetFileName));
        // log.6 ends exactly at zxid 10 but stays: ZooKeeper keeps the log a (possibly fuzzy) snapshot falls in.
        Assert.Equal(["log.1"], plan.Logs.Select(Path.GetFileName));

        var before = Recovery.Load(device, DataDir, DataDir).Tree;
        Purge.Execute(device, plan);
        Assert.Equal(["log.15", "log.1f", "log.6", "log.b", "snapshot.14", "snapshot.1e", "snapshot.a"], device.ListFiles(Folder));
        TreeAssert.Equal(before, Recovery.Load(device, DataDir, DataDir).Tree);
    }

    [Fact]
    public void KeepsTheLogThatStartsBeforeTheOldestKeptSnapshot()
    {
        // Logs roll at 5 and 20 only; snapshots also at 12 and 25 without a roll. Oldest kept = 12, inside log.6.
        var device = DeviceWithSnapshotsAt(5, 20);
        var script = TxnScript.Everything();
        var replica = new Coordinator.StateMachine.DataTree();
        foreach (var e in script.Entries)
        {
            replica.Apply(e.Header, e.Txn);
            if (e.Header.Zxid is 12 or 25) SnapshotWriter.Write(device, Folder, replica, e.Header.Zxid);
        }
        var plan = Purge.Plan(device, DataDir, DataDir);
        Assert.Equal(12, plan.OldestKeptZxid); // the newest three are 25, 20 and 12
        Assert.Equal(["log.1"], plan.Logs.Select(Path.GetFileName));
    }

    [Fact]
    public void IncompleteSnapshotsDoNotCountTowardsTheRetained()
    {
        var device = DeviceWithSnapshotsAt(5, 10, 20);
        device.WriteAllBytes(Path.Combine(Folder, "snapshot.14"), [1, 2, 3]);
        var plan = Purge.Plan(device, DataDir, DataDir);
        Assert.Equal(0, plan.OldestKeptZxid);
        Assert.Empty(plan.Logs);
        Assert.Empty(plan.Snapshots);
    }

    [Fact]
    public void StaleTempSnapshotsGoToo()
    {
        var device = DeviceWithSnapshotsAt(5, 10, 20, 30);
        device.WriteAllBytes(Path.Combine(Folder, ZkFiles.TempSnapshotName(3)), [1]);
        device.WriteAllBytes(Path.Combine(Folder, ZkFiles.TempSnapshotName(40)), [1]);
        var plan = Purge.Plan(device, DataDir, DataDir);
        Assert.Equal(["tmp-snapshot.3"], plan.TempFiles.Select(Path.GetFileName));
    }

    [Fact]
    public void RetainCountBelowThreeIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Purge.Plan(new MemoryDevice(), DataDir, DataDir, 2));
    }
}
