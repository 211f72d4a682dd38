// Drops logged txns above a zxid (ZAB's TRUNC): cuts the log file holding the first one and deletes every later file.
namespace Coordinator.Storage;

/// <summary>What a truncation removed: the txns dropped, the files cut short and the files deleted.</summary>
public sealed record TruncationResult(int TxnsDropped, IReadOnlyList<string> FilesCut, IReadOnlyList<string> FilesDeleted)
{
    public bool IsEmpty => TxnsDropped == 0 && FilesCut.Count == 0 && FilesDeleted.Count == 0;
}

/// <summary>
/// A follower whose log holds proposals the new leader never committed must forget them before it syncs
/// (ZooKeeper's FileTxnLog.truncate). A file is cut exactly at the first record to drop, so it ends as a log cut
/// after its last record does (no preallocated zeros, which a reader also takes as the end); ZooKeeper reads it
/// the same way. Files whose first txn is dropped, and every file named after a later zxid, are deleted.
/// The caller closes its log writer first: it is probably writing the file being cut.
/// </summary>
public static class LogTruncation
{
    /// <summary>
    /// Drops every logged txn with a zxid above <paramref name="zxid"/>; durable when it returns. Nothing changes
    /// when no txn is above it. Every file recovery may read from the newest snapshot on is checked, so files that
    /// overlap (which ZooKeeper can leave after a crash while rolling) are cut too; a torn tail in the newest log
    /// is cut with them, since it would become corruption once that log is no longer the newest. Throws
    /// <see cref="InvalidOperationException"/> when <paramref name="zxid"/> is below the newest snapshot: ZAB
    /// never truncates committed txns, so asking to is a bug, not a state of the disk.
    /// </summary>
    public static TruncationResult After(IStorageDevice device, string dataDir, string dataLogDir, long zxid)
    {
        string snapFolder = Path.Combine(dataDir, ZkFiles.VersionFolder);
        string logFolder = Path.Combine(dataLogDir, ZkFiles.VersionFolder);
        long snapshotZxid = NewestSnapshotZxid(device, snapFolder);
        if (zxid < snapshotZxid)
            throw new InvalidOperationException($"cannot truncate the log after zxid 0x{zxid:x}: the newest snapshot is at 0x{snapshotZxid:x}, and ZAB never truncates committed txns");
        if (!device.DirectoryExists(logFolder)) return new TruncationResult(0, [], []);

        var reader = new TxnLogReader(device, logFolder);
        var files = reader.Files();
        var cuts = new Dictionary<string, long>(StringComparer.Ordinal);
        int dropped = 0;
        long highest = zxid; // overlapping files repeat txns: count each zxid once
        foreach (var logged in reader.ReadFrom(Math.Max(snapshotZxid, 0)))
        {
            long txnZxid = logged.Entry.Header.Zxid;
            if (txnZxid <= zxid) continue;
            if (txnZxid > highest)
            {
                dropped++;
                highest = txnZxid;
            }
            cuts.TryAdd(logged.File, logged.Offset);
        }
        if (reader.TailDamage is { } damage && (!cuts.TryGetValue(damage.File, out long at) || damage.Offset < at))
            cuts[damage.File] = damage.Offset;

        // Newest first, so a crash part way leaves a log that ends cleanly, from which the truncation can be redone.
        var deleted = new List<string>();
        foreach (var (path, start) in files.Reverse())
        {
            bool drop = start > zxid || (cuts.TryGetValue(path, out long cut) && cut <= TxnLogFormat.FileHeaderBytes);
            if (!drop) continue;
            device.Delete(path);
            deleted.Add(path);
        }
        if (deleted.Count > 0) device.SyncDirectory(logFolder);

        var cutFiles = new List<string>();
        foreach (var (path, offset) in cuts)
        {
            if (deleted.Contains(path)) continue;
            using var file = device.OpenWrite(path);
            file.SetLength(offset);
            file.Sync();
            cutFiles.Add(path);
        }
        return new TruncationResult(dropped, cutFiles, deleted);
    }

    /// <summary>The zxid of the newest snapshot recovery would consider (complete-looking), or -1 when there is none.</summary>
    internal static long NewestSnapshotZxid(IStorageDevice device, string snapFolder)
    {
        if (!device.DirectoryExists(snapFolder)) return -1;
        var snapshots = ZkFiles.List(device, snapFolder, ZkFiles.SnapshotPrefix);
        for (int i = snapshots.Count - 1; i >= 0; i--)
        {
            if (SnapshotReader.LooksComplete(device, snapshots[i].Path)) return snapshots[i].Zxid;
        }
        return -1;
    }
}
