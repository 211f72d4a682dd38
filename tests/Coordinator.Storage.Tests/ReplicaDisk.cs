// Test helper: a MemoryDevice dataDir for replication tests, logging a script's txns with rolls and snapshots where asked.
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

/// <summary>
/// snapshot.0 plus whichever txns of <see cref="Script"/> a test logs, through one <see cref="Writer"/> kept open
/// as the server keeps it. Files start where the test rolls, not at snapshots, so truncation can be tried both in
/// the middle of a file and at a boundary.
/// </summary>
internal sealed class ReplicaDisk : IDisposable
{
    public const string DataDir = "/mem/data";
    public static readonly string Folder = Path.Combine(DataDir, ZkFiles.VersionFolder);

    public ReplicaDisk()
    {
        SnapshotWriter.Write(Device, Folder, new DataTree(), 0);
        Writer = new TxnLogWriter(Device, Folder, new TxnLogOptions { PreallocBytes = 8192 });
    }

    public MemoryDevice Device { get; } = new();

    public TxnScript Script { get; } = TxnScript.Everything();

    public TxnLogWriter Writer { get; }

    public long LastZxid => Script.LastZxid;

    /// <summary>Logs the script's txns from..to (zxids), one flush each, rolling after each zxid in <paramref name="rollAfter"/>.</summary>
    public void Log(long from, long to, params long[] rollAfter)
    {
        foreach (var entry in Script.Entries.Where(e => e.Header.Zxid >= from && e.Header.Zxid <= to))
        {
            Writer.Append(entry);
            Writer.Flush();
            if (rollAfter.Contains(entry.Header.Zxid)) Writer.Roll();
        }
    }

    public string Snapshot(long zxid) => SnapshotWriter.Write(Device, Folder, TreeAt(zxid), zxid);

    /// <summary>The tree after the script's txns up to <paramref name="zxid"/>.</summary>
    public DataTree TreeAt(long zxid)
    {
        var tree = new DataTree();
        foreach (var e in Script.Entries.TakeWhile(e => e.Header.Zxid <= zxid)) tree.Apply(e.Header, e.Txn);
        return tree;
    }

    public List<string> Files(string prefix) => Device.ListFiles(Folder).Where(n => n.StartsWith(prefix + ".", StringComparison.Ordinal)).ToList();

    public string PathOf(string name) => Path.Combine(Folder, name);

    /// <summary>Both recoveries see exactly the txns up to <paramref name="zxid"/>, with nothing to warn about.</summary>
    public void AssertRecovers(long zxid, long snapshotZxid = 0)
    {
        var replayed = Recovery.Load(Device, DataDir, DataDir);
        Assert.Empty(replayed.Warnings);
        Assert.Equal(zxid, replayed.LastZxid);
        TreeAssert.Equal(TreeAt(zxid), replayed.Tree);

        var replica = Recovery.LoadForReplication(Device, DataDir, DataDir);
        Assert.Empty(replica.Warnings);
        Assert.Equal(snapshotZxid, replica.SnapshotZxid);
        Assert.Equal(zxid, replica.LastLoggedZxid);
        Assert.Equal(Range(snapshotZxid + 1, zxid), replica.LogAfterSnapshot.Select(e => e.Header.Zxid));
        TreeAssert.Equal(TreeAt(snapshotZxid), replica.Tree);
    }

    public static IEnumerable<long> Range(long from, long to)
    {
        for (long z = from; z <= to; z++) yield return z;
    }

    public void Dispose() => Writer.Dispose();
}
