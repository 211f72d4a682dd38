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

/// <summary>
/// What a replicated node starts from: the tree as of its newest snapshot (not replayed), the txns logged after
/// it (proposals, in zxid order, not applied), the last logged zxid and the epoch files.
/// </summary>
public sealed record ReplicaState(
    DataTree Tree,
    long SnapshotZxid,
    string? SnapshotFile,
    IReadOnlyList<TxnEntry> LogAfterSnapshot,
    long LastLoggedZxid,
    Epochs Epochs,
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
        var (snapshot, tree, logFolder, warnings) = LoadSnapshot(device, dataDir, dataLogDir);
        long startZxid = snapshot?.Zxid ?? 0;
        var digestCheck = DigestCheck.From(snapshot, warnings);
        int replayed = 0;
        var last = ReadLogAfter(device, logFolder, startZxid, warnings, entry =>
        {
            tree.Apply(entry.Header, ForReplay(entry.Txn, entry.Header, tree));
            replayed++;
        });
        long lastZxid = Math.Max(startZxid, last?.Header.Zxid ?? 0);
        digestCheck.CheckEnd(lastZxid, last, tree);
        tree.RestoreLastProcessedZxid(lastZxid);
        return new RecoveredState(tree, lastZxid, snapshot?.File, replayed, warnings);
    }

    /// <summary>
    /// Loads a replicated node's directories without replaying its log: under ZAB the txns logged after the
    /// newest snapshot are proposals not known to be committed, which the ZAB core applies once a leader shows
    /// they are, or truncates. Returns the tree as of the newest sound snapshot (an empty tree at zxid 0 without
    /// one), the logged txns after it in zxid order, and the epoch files (<see cref="EpochFiles.Read"/>, derived
    /// from the last logged zxid when missing). Snapshot fallback, torn-tail repair, overlap handling, checks and
    /// warnings are those of <see cref="Load(IStorageDevice, string, string)"/>. Entries are returned as logged: a
    /// closeSession without its ephemeral list (from ZooKeeper before 3.6) is not expanded here.
    /// </summary>
    public static ReplicaState LoadForReplication(IStorageDevice device, string dataDir, string dataLogDir)
    {
        var (snapshot, tree, logFolder, warnings) = LoadSnapshot(device, dataDir, dataLogDir);
        long snapshotZxid = snapshot?.Zxid ?? 0;
        // Our snapshots are exact, so their digest describes the tree as loaded; a fuzzy one from ZooKeeper may not.
        DigestCheck.From(snapshot, warnings).CheckEnd(snapshotZxid, null, tree);
        tree.RestoreLastProcessedZxid(snapshotZxid);
        var entries = new List<TxnEntry>();
        var last = ReadLogAfter(device, logFolder, snapshotZxid, warnings, entries.Add);
        long lastZxid = Math.Max(snapshotZxid, last?.Header.Zxid ?? 0);
        var epochs = EpochFiles.Read(device, Path.Combine(dataDir, ZkFiles.VersionFolder), lastZxid);
        return new ReplicaState(tree, snapshotZxid, snapshot?.File, entries, lastZxid, epochs, warnings);
    }

    /// <summary>The newest sound snapshot (null when none), the tree to start from, the log folder, and the warnings so far.</summary>
    private static (Snapshot? Snapshot, DataTree Tree, string LogFolder, List<RecoveryWarning> Warnings) LoadSnapshot(
        IStorageDevice device, string dataDir, string dataLogDir)
    {
        string snapFolder = Path.Combine(dataDir, ZkFiles.VersionFolder);
        string logFolder = Path.Combine(dataLogDir, ZkFiles.VersionFolder);
        var snapshots = ListChecked(device, snapFolder, ZkFiles.SnapshotPrefix);
        var logs = ListChecked(device, logFolder, ZkFiles.LogPrefix);
        CheckSeparation(device, snapFolder, logFolder);

        var warnings = new List<RecoveryWarning>();
        var snapshot = LoadNewestSound(device, snapshots, warnings);
        if (snapshot is not null) return (snapshot, snapshot.Tree, logFolder, warnings);
        if (snapshots.Count > 0 || logs.Count > 0) CheckFullHistory(logs, snapshots.Count, warnings, logFolder);
        return (null, new DataTree(), logFolder, warnings);
    }

    /// <summary>
    /// Hands each logged txn above <paramref name="startZxid"/> to <paramref name="next"/> once, in zxid order, and
    /// cuts a torn tail of the newest log; returns the last txn handed on.
    /// </summary>
    private static TxnEntry? ReadLogAfter(IStorageDevice device, string logFolder, long startZxid, List<RecoveryWarning> warnings, Action<TxnEntry> next)
    {
        var reader = new TxnLogReader(device, logFolder);
        TxnEntry? last = null;
        long previous = startZxid;
        foreach (var logged in reader.ReadFrom(startZxid + 1))
        {
            var entry = logged.Entry;
            long zxid = entry.Header.Zxid;
            // Overlapping files (ZooKeeper can leave them after a crash during a roll) repeat txns; take each once.
            if (zxid <= previous) continue;
            if (SameEpochGap(previous, zxid))
                warnings.Add(new RecoveryWarning($"zxid jumps from 0x{previous:x} to 0x{zxid:x}: txns in between are missing", logged.File, logged.Offset));
            next(entry);
            previous = zxid;
            last = entry;
        }
        if (reader.TailDamage is { } damage)
        {
            reader.Truncate(damage);
            warnings.Add(new RecoveryWarning($"torn tail of the newest log cut ({damage.Reason})", damage.File, damage.Offset));
        }
        return last;
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
