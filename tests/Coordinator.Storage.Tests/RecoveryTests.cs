// Recovery.Load: snapshot plus replay, fallback to an older snapshot, directory errors, digest checks.
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

public sealed class RecoveryTests
{
    private const string DataDir = "/mem/data";
    private static readonly string Folder = Path.Combine(DataDir, ZkFiles.VersionFolder);
    private static readonly TxnLogOptions SmallPrealloc = new() { PreallocBytes = 8192 };

    /// <summary>Logs every txn, rolling and snapshotting (as ZooKeeper does) at the given zxids.</summary>
    internal static void Persist(IStorageDevice device, string dataDir, TxnScript script, params long[] snapshotAt)
    {
        string folder = Path.Combine(dataDir, ZkFiles.VersionFolder);
        var replica = new DataTree();
        SnapshotWriter.Write(device, folder, replica, 0);
        using var writer = new TxnLogWriter(device, folder, SmallPrealloc);
        foreach (var entry in script.Entries)
        {
            writer.Append(entry);
            writer.Flush();
            replica.Apply(entry.Header, entry.Txn);
            if (snapshotAt.Contains(entry.Header.Zxid))
            {
                writer.Roll();
                SnapshotWriter.Write(device, folder, replica, entry.Header.Zxid);
            }
        }
    }

    [Fact]
    public void EmptyDataDirGivesAFreshTreeAndCreatesTheFolders()
    {
        var device = new MemoryDevice();
        var state = Recovery.Load(device, DataDir, DataDir);
        Assert.Equal(0, state.LastZxid);
        Assert.Null(state.SnapshotFile);
        Assert.Empty(state.Warnings);
        TreeAssert.Equal(new DataTree(), state.Tree);
        Assert.True(device.DirectoryExists(Folder));
    }

    [Fact]
    public void NewestSnapshotPlusLaterTxns()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        Persist(device, DataDir, script, 10, 30);
        var state = Recovery.Load(device, DataDir, DataDir);
        Assert.Empty(state.Warnings);
        Assert.EndsWith("snapshot.1e", state.SnapshotFile);
        Assert.Equal(script.Entries.Count - 30, state.TxnsReplayed);
        Assert.Equal(script.LastZxid, state.LastZxid);
        Assert.Equal(script.LastZxid, state.Tree.LastProcessedZxid);
        TreeAssert.Equal(script.Tree, state.Tree);
    }

    [Fact]
    public void SeparateLogDirWorksAndSwappedDirsAreRefused()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        string snapFolder = Path.Combine("/mem/snaps", ZkFiles.VersionFolder), logFolder = Path.Combine("/mem/logs", ZkFiles.VersionFolder);
        SnapshotWriter.Write(device, snapFolder, new DataTree(), 0);
        using (var writer = new TxnLogWriter(device, logFolder, SmallPrealloc))
        {
            foreach (var e in script.Entries) writer.Append(e);
            writer.Flush();
        }
        TreeAssert.Equal(script.Tree, Recovery.Load(device, "/mem/snaps", "/mem/logs").Tree);
        var e2 = Assert.Throws<StorageException>(() => Recovery.Load(device, "/mem/logs", "/mem/snaps"));
        Assert.Contains("dataDir and dataLogDir", e2.Message);
    }

    [Fact]
    public void CorruptNewestSnapshotFallsBackToTheOlderOneWithAWarning()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        Persist(device, DataDir, script, 10, 30);
        string newest = Path.Combine(Folder, "snapshot.1e");
        byte[] bytes = device.ReadAllBytes(newest);
        bytes[bytes.Length / 2] ^= 0xFF;
        device.WriteAllBytes(newest, bytes);

        var state = Recovery.Load(device, DataDir, DataDir);
        Assert.EndsWith("snapshot.a", state.SnapshotFile);
        var warning = Assert.Single(state.Warnings);
        Assert.Equal(newest, warning.File);
        Assert.Contains("snapshot skipped", warning.Message);
        TreeAssert.Equal(script.Tree, state.Tree);
    }

    [Fact]
    public void NoSoundSnapshotReplaysTheWholeLogWhenItStartsAtOne()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        Persist(device, DataDir, script);
        device.WriteAllBytes(Path.Combine(Folder, "snapshot.0"), [1, 2, 3]);
        var state = Recovery.Load(device, DataDir, DataDir);
        Assert.Equal(2, state.Warnings.Count);
        TreeAssert.Equal(script.Tree, state.Tree);
    }

    [Fact]
    public void NoSoundSnapshotAndAPurgedLogHeadIsAnError()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        Persist(device, DataDir, script, 10);
        device.Delete(Path.Combine(Folder, "log.1"));
        device.WriteAllBytes(Path.Combine(Folder, "snapshot.a"), [1, 2, 3]);
        device.WriteAllBytes(Path.Combine(Folder, "snapshot.0"), [1, 2, 3]);
        var e = Assert.Throws<StorageException>(() => Recovery.Load(device, DataDir, DataDir));
        Assert.Contains("earlier txns are lost", e.Message);
    }

    [Fact]
    public void DataDirThatIsAFileIsAClearError()
    {
        string file = Path.GetTempFileName();
        try
        {
            var e = Assert.Throws<StorageException>(() => Recovery.Load(file));
            Assert.Contains(file, e.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void SnapshotDigestMismatchIsAWarning()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        // A snapshot whose tree is not the one its digest trailer describes: plant a node after computing.
        var tree = script.Tree;
        string path = SnapshotWriter.Write(device, Folder, tree, script.LastZxid);
        var loaded = SnapshotReader.Read(device, path);
        Assert.Equal(TreeDigest.Of(tree), loaded.Digest!.Value.Digest);
        loaded.Tree.RestoreNode("/planted", new DataNode([], TxnScript.Open, 1, 1, 0));
        SnapshotWriter.Write(device, Folder, loaded.Tree, script.LastZxid + 1);
        byte[] wrong = device.ReadAllBytes(Path.Combine(Folder, ZkFiles.SnapshotName(script.LastZxid + 1)));
        byte[] right = device.ReadAllBytes(path);
        // Splice the older digest value into the newer snapshot and reseal it.
        Array.Copy(right, right.Length - 13 - 8, wrong, wrong.Length - 13 - 8, 8);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(wrong.AsSpan(wrong.Length - 13), Adler32.Of(wrong.AsSpan(0, wrong.Length - 13)));
        device.WriteAllBytes(Path.Combine(Folder, ZkFiles.SnapshotName(script.LastZxid + 1)), wrong);

        var state = Recovery.Load(device, DataDir, DataDir);
        Assert.Contains(state.Warnings, w => w.Message.Contains("tree digest", StringComparison.Ordinal));
    }

    [Fact]
    public void CloseSessionWithoutPathsDeletesTheSessionsEphemerals()
    {
        var device = new MemoryDevice();
        var script = new TxnScript();
        script.CreateSession(7);
        script.Create(7, "/e", [], ephemeral: true);
        var entries = script.Entries.ToList();
        entries.Add(new TxnEntry(new TxnHeader(7, 9, 3, 100, (int)Jute.OpCode.CloseSession), new CloseSessionTxn([])));
        SnapshotWriter.Write(device, Folder, new DataTree(), 0);
        using (var writer = new TxnLogWriter(device, Folder, SmallPrealloc))
        {
            foreach (var e in entries) writer.Append(e);
            writer.Flush();
        }
        var state = Recovery.Load(device, DataDir, DataDir);
        Assert.Null(state.Tree.GetNode("/e"));
        Assert.Empty(state.Tree.Sessions);
    }
}
