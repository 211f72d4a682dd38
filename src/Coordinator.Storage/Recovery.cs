// Rebuilds the DataTree at start-up: the newest sound snapshot plus the logged txns after it, repairing a torn log tail.
using Coordinator.Jute;
using Coordinator.StateMachine;

namespace Coordinator.Storage;

/// <summary>Something recovery repaired or noticed but could work around; the server should log each one.</summary>
public sealed record RecoveryWarning(string Message, string? File = null, long? Offset = null)
{
    public override string ToString() =>
        File is null ? Message : Offset is null ? $"{File}: {Message}" : $"{File} at offset {Offset}: {Message}";
}

/// <summary>What was loaded: the tree (with its sessions table) and the last zxid it reflects.</summary>
public sealed record RecoveredState(
    DataTree Tree,
    long LastZxid,
    string? SnapshotFile,
    int TxnsReplayed,
    IReadOnlyList<RecoveryWarning> Warnings);

public static class Recovery
{
    /// <summary>ZooKeeper looks at no more than this many of the newest snapshots before giving up (FileSnap).</summary>
    public const int SnapshotsTriedMax = 100;

    public static RecoveredState Load(string dataDir, string? dataLogDir = null) =>
        Load(PhysicalDevice.Instance, dataDir, dataLogDir ?? dataDir);

    /// <summary>
    /// Loads dataDir (snapshots) and dataLogDir (logs), both holding a version-2 folder as ZooKeeper lays them
    /// out, creating the folders when missing as ZooKeeper does. A snapshot that fails to load is skipped for
    /// the one before it; a torn tail of the newest log is cut; each repair becomes a warning. Anything else
    /// that is wrong (a folder that cannot be read, corruption inside the log) throws <see cref="StorageException"/>.
    /// </summary>
    public static RecoveredState Load(IStorageDevice device, string dataDir, string dataLogDir)
    {
        string snapFolder = Path.Combine(dataDir, ZkFiles.VersionFolder);
        string logFolder = Path.Combine(dataLogDir, ZkFiles.VersionFolder);
        var snapshots = ListChecked(device, snapFolder, ZkFiles.SnapshotPrefix);
        var logs = ListChecked(device, logFolder, ZkFiles.LogPrefix);
        CheckSeparation(device, snapFolder, logFolder);

        var warnings = new List<RecoveryWarning>();
        var snapshot = LoadNewestSound(device, snapshots, warnings);
        DataTree tree;
        if (snapshot is not null)
        {
            tree = snapshot.Tree;
        }
        else
        {
            if (snapshots.Count > 0 || logs.Count > 0) CheckFullHistory(logs, snapshots.Count, warnings, logFolder);
            tree = new DataTree();
        }

        long startZxid = snapshot?.Zxid ?? 0;
        var digestCheck = DigestCheck.From(snapshot, warnings);
        var reader = new TxnLogReader(device, logFolder);
        var (replayed, last) = Replay(reader, tree, startZxid, warnings);
        if (reader.TailDamage is { } damage)
        {
            reader.Truncate(damage);
            warnings.Add(new RecoveryWarning($"torn tail of the newest log cut ({damage.Reason})", damage.File, damage.Offset));
        }
        long lastZxid = Math.Max(startZxid, last?.Header.Zxid ?? 0);
        digestCheck.CheckEnd(lastZxid, last, tree);
        tree.RestoreLastProcessedZxid(lastZxid);
        return new RecoveredState(tree, lastZxid, snapshot?.File, replayed, warnings);
    }

    private static (int Replayed, TxnEntry? Last) Replay(TxnLogReader reader, DataTree tree, long startZxid, List<RecoveryWarning> warnings)
    {
        int replayed = 0;
        TxnEntry? last = null;
        long previous = startZxid;
        foreach (var logged in reader.ReadFrom(startZxid + 1))
        {
            var entry = logged.Entry;
            long zxid = entry.Header.Zxid;
            // Overlapping files (ZooKeeper can leave them after a crash during a roll) repeat txns; apply each once.
            if (zxid <= previous) continue;
            if (SameEpochGap(previous, zxid))
                warnings.Add(new RecoveryWarning($"zxid jumps from 0x{previous:x} to 0x{zxid:x}: txns in between are missing", logged.File, logged.Offset));
            tree.Apply(entry.Header, ForReplay(entry.Txn, entry.Header, tree));
            previous = zxid;
            last = entry;
            replayed++;
        }
        return (replayed, last);
    }

    private static bool SameEpochGap(long previous, long zxid) => (previous >> 32) == (zxid >> 32) && zxid - previous > 1;

    /// <summary>
    /// A closeSession logged without its ephemeral list (ZooKeeper with closeSessionTxn disabled, or before 3.6)
    /// deletes the session's ephemerals as the tree knows them, which is what ZooKeeper does for such a txn.
    /// </summary>
    private static Txn ForReplay(Txn txn, TxnHeader header, DataTree tree) =>
        txn is CloseSessionTxn { Paths2Delete.Count: 0 } && header.Type == (int)OpCode.CloseSession
            ? new CloseSessionTxn(tree.EphemeralsOf(header.ClientId).ToList())
            : txn;

    private static Snapshot? LoadNewestSound(IStorageDevice device, List<(string Path, long Zxid)> snapshots, List<RecoveryWarning> warnings)
    {
        int tried = 0;
        for (int i = snapshots.Count - 1; i >= 0 && tried < SnapshotsTriedMax; i--, tried++)
        {
            string path = snapshots[i].Path;
            try
            {
                return SnapshotReader.Read(device, path);
            }
            catch (StorageException e)
            {
                warnings.Add(new RecoveryWarning($"snapshot skipped, trying an older one: {e.Message}", path, e.Offset));
            }
        }
        return null;
    }

    /// <summary>Without a usable snapshot the log alone must hold the whole history, from zxid 1.</summary>
    private static void CheckFullHistory(List<(string Path, long Zxid)> logs, int snapshotCount, List<RecoveryWarning> warnings, string logFolder)
    {
        if (logs.Count == 0)
        {
            if (snapshotCount > 0) throw new StorageException("no snapshot could be loaded and there is no txn log to rebuild from", logFolder);
            return;
        }
        if (logs[0].Zxid > 1)
            throw new StorageException($"no snapshot could be loaded and the oldest log starts at zxid 0x{logs[0].Zxid:x}, so earlier txns are lost", logs[0].Path);
        warnings.Add(new RecoveryWarning("no snapshot could be loaded; rebuilding the tree from the whole txn log", logFolder));
    }

    private static List<(string Path, long Zxid)> ListChecked(IStorageDevice device, string folder, string prefix)
    {
        try
        {
            if (!device.DirectoryExists(folder))
            {
                if (device.FileExists(folder) || device.FileExists(Path.GetDirectoryName(folder)!))
                    throw new StorageException("is a file, not a directory", device.FileExists(folder) ? folder : Path.GetDirectoryName(folder));
                device.CreateDirectory(folder);
            }
            return ZkFiles.List(device, folder, prefix);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"cannot read the directory: {e.Message}", folder, inner: e);
        }
    }

    /// <summary>As ZooKeeper does, refuse directories that look swapped: logs among the snapshots or the reverse.</summary>
    private static void CheckSeparation(IStorageDevice device, string snapFolder, string logFolder)
    {
        if (Path.GetFullPath(snapFolder) == Path.GetFullPath(logFolder)) return;
        if (ZkFiles.List(device, snapFolder, ZkFiles.LogPrefix).Count > 0)
            throw new StorageException("the snapshot directory holds txn logs: check dataDir and dataLogDir", snapFolder);
        if (ZkFiles.List(device, logFolder, ZkFiles.SnapshotPrefix).Count > 0)
            throw new StorageException("the txn log directory holds snapshots: check dataDir and dataLogDir", logFolder);
    }

    /// <summary>
    /// Compares a recorded tree digest with the recovered tree once replay is done. ZooKeeper's snapshots are
    /// fuzzy: the tree in the file may already hold (part of) a txn after the zxid its digest is for, which the
    /// replay then applies again, so a snapshot's digest describes the recovered tree only when nothing was
    /// replayed past its zxid. Otherwise the digest logged with the last replayed txn is the one compared. A
    /// mismatch is a warning, as in ZooKeeper: it means the tree differs from the one that wrote the files.
    /// </summary>
    private sealed class DigestCheck(SnapshotDigest? snapshotDigest, List<RecoveryWarning> warnings, string? file)
    {
        public static DigestCheck From(Snapshot? snapshot, List<RecoveryWarning> warnings)
        {
            var d = snapshot?.Digest;
            bool usable = d is { Zxid: > 0, Version: TreeDigest.Version } && d.Value.Zxid >= snapshot!.Zxid;
            return new DigestCheck(usable ? d : null, warnings, snapshot?.File);
        }

        public void CheckEnd(long lastZxid, TxnEntry? last, DataTree tree)
        {
            if (snapshotDigest is { } d && d.Zxid == lastZxid)
            {
                long actual = TreeDigest.Of(tree);
                if (actual != d.Digest)
                    warnings.Add(new RecoveryWarning($"tree digest at zxid 0x{lastZxid:x} is 0x{actual:x} but the snapshot recorded 0x{d.Digest:x}", file));
            }
            else if (snapshotDigest is not { } pending || pending.Zxid < lastZxid)
            {
                if (last?.Digest is not { Version: TreeDigest.Version } logged) return;
                long actual = TreeDigest.Of(tree);
                if (actual != logged.TreeDigest)
                    warnings.Add(new RecoveryWarning($"tree digest after the last txn (zxid 0x{last.Header.Zxid:x}) is 0x{actual:x} but the log recorded 0x{logged.TreeDigest:x}"));
            }
        }
    }
}
