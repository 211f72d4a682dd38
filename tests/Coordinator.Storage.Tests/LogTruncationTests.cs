// LogTruncation.After (ZAB's TRUNC): cuts in a file, at a boundary, across files; the log then grows again and recovers.
namespace Coordinator.Storage.Tests;

public sealed class LogTruncationTests
{
    /// <summary>log.1 (zxids 1..10), log.b (11..25), log.1a (26..end); the writer is closed, as the caller must.</summary>
    private static ReplicaDisk ThreeFiles()
    {
        var disk = new ReplicaDisk();
        disk.Log(1, disk.LastZxid, 10, 25);
        disk.Writer.Roll();
        Assert.Equal(["log.1", "log.1a", "log.b"], disk.Files("log"));
        return disk;
    }

    private static TruncationResult Truncate(ReplicaDisk disk, long zxid) =>
        LogTruncation.After(disk.Device, ReplicaDisk.DataDir, ReplicaDisk.DataDir, zxid);

    private static long OffsetOf(ReplicaDisk disk, long zxid) =>
        new TxnLogReader(disk.Device, ReplicaDisk.Folder).ReadFrom(zxid).First().Offset;

    [Fact]
    public void CutInTheMiddleOfAFileThenTheLogGrowsAgain()
    {
        using var disk = ThreeFiles();
        long cutAt = OffsetOf(disk, 16);
        var result = Truncate(disk, 15);
        Assert.Equal(disk.LastZxid - 15, result.TxnsDropped);
        Assert.Equal([disk.PathOf("log.b")], result.FilesCut);
        Assert.Equal([disk.PathOf("log.1a")], result.FilesDeleted);
        Assert.Equal(["log.1", "log.b"], disk.Files("log"));
        // Cut right after txn 15: the file ends as a log cut after its last record, which readers take as its end.
        Assert.Equal(cutAt, disk.Device.FileLength(disk.PathOf("log.b")));
        disk.AssertRecovers(15);

        disk.Writer.RestartAfter(15);
        disk.Log(16, disk.LastZxid);
        Assert.Equal(["log.1", "log.10", "log.b"], disk.Files("log"));
        disk.AssertRecovers(disk.LastZxid);
    }

    [Fact]
    public void CutAtAFileBoundaryDeletesTheLaterFilesOnly()
    {
        using var disk = ThreeFiles();
        byte[] first = disk.Device.ReadAllBytes(disk.PathOf("log.1"));
        var result = Truncate(disk, 10);
        Assert.Empty(result.FilesCut);
        Assert.Equal([disk.PathOf("log.1a"), disk.PathOf("log.b")], result.FilesDeleted.Order());
        Assert.Equal(["log.1"], disk.Files("log"));
        Assert.Equal(first, disk.Device.ReadAllBytes(disk.PathOf("log.1"))); // untouched, preallocated zeros and all
        disk.AssertRecovers(10);

        disk.Writer.RestartAfter(10);
        disk.Log(11, disk.LastZxid);
        Assert.Equal(["log.1", "log.b"], disk.Files("log"));
        disk.AssertRecovers(disk.LastZxid);
    }

    [Fact]
    public void CutAcrossSeveralFiles()
    {
        using var disk = ThreeFiles();
        var result = Truncate(disk, 5);
        Assert.Equal(disk.LastZxid - 5, result.TxnsDropped);
        Assert.Equal([disk.PathOf("log.1")], result.FilesCut);
        Assert.Equal(2, result.FilesDeleted.Count);
        Assert.Equal(["log.1"], disk.Files("log"));
        disk.AssertRecovers(5);

        disk.Writer.RestartAfter(5);
        disk.Log(6, 30, 20);
        Assert.Equal(["log.1", "log.15", "log.6"], disk.Files("log"));
        disk.AssertRecovers(30);
    }

    [Fact]
    public void CutBeforeTheFirstTxnLeavesNoLog()
    {
        using var disk = ThreeFiles();
        var result = Truncate(disk, 0);
        Assert.Equal(3, result.FilesDeleted.Count);
        Assert.Empty(disk.Files("log"));
        disk.AssertRecovers(0);
    }

    [Fact]
    public void AtOrAboveTheLastLoggedZxidNothingChanges()
    {
        using var disk = ThreeFiles();
        var before = disk.Files("log").Select(n => disk.Device.ReadAllBytes(disk.PathOf(n))).ToList();
        Assert.True(Truncate(disk, disk.LastZxid).IsEmpty);
        Assert.True(Truncate(disk, disk.LastZxid + 100).IsEmpty);
        Assert.Equal(before, disk.Files("log").Select(n => disk.Device.ReadAllBytes(disk.PathOf(n))));
        disk.AssertRecovers(disk.LastZxid);
    }

    [Fact]
    public void BelowTheNewestSnapshotIsRefused()
    {
        using var disk = ThreeFiles();
        disk.Snapshot(20);
        var before = disk.Files("log").Select(n => disk.Device.ReadAllBytes(disk.PathOf(n))).ToList();
        var e = Assert.Throws<InvalidOperationException>(() => Truncate(disk, 19));
        Assert.Contains("0x14", e.Message);
        Assert.Equal(before, disk.Files("log").Select(n => disk.Device.ReadAllBytes(disk.PathOf(n))));

        Truncate(disk, 20);
        disk.AssertRecovers(20, snapshotZxid: 20);
    }

    [Fact]
    public void TornTailOfTheNewestLogIsCutWithTheTruncation()
    {
        using var disk = ThreeFiles();
        // Damage the last record: it is unreadable, so truncating after the one before drops no txn it can see,
        // yet the damage must go, since log.1a will not be the newest log once the log grows again.
        string newest = disk.PathOf("log.1a");
        long last = OffsetOf(disk, disk.LastZxid);
        var bytes = disk.Device.ReadAllBytes(newest);
        bytes[last + 30] ^= 0x40;
        disk.Device.WriteAllBytes(newest, bytes);

        var result = Truncate(disk, disk.LastZxid - 1);
        Assert.Equal(0, result.TxnsDropped);
        Assert.Equal([newest], result.FilesCut);
        Assert.Equal(last, disk.Device.FileLength(newest));

        disk.Writer.RestartAfter(disk.LastZxid - 1);
        disk.Log(disk.LastZxid, disk.LastZxid);
        disk.AssertRecovers(disk.LastZxid);
    }

    [Fact]
    public void WriterRefusesZxidsAtOrBelowTheRestartPoint()
    {
        using var disk = ThreeFiles();
        Truncate(disk, 15);
        disk.Writer.RestartAfter(15);
        var old = disk.Script.Entries[14]; // zxid 15
        Assert.Throws<InvalidOperationException>(() => disk.Writer.Append(old));
        Assert.Equal(15, disk.Writer.DurableZxid);
    }
}
