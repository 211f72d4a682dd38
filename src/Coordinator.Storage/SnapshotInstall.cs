// Makes a snapshot received from the leader (ZAB's SNAP) this node's state: writes it, then drops the log it supersedes.
namespace Coordinator.Storage;

/// <summary>
/// A learner too far behind (or diverged) gets the leader's whole tree instead of txns. Once written, that
/// snapshot is the node's history up to its zxid: every logged txn is either in it or was never committed, so
/// the whole log goes. The order is snapshot first (temp file, fsync, rename, folder fsync), then the deletions:
/// a crash in between leaves the new snapshot with old logs after it, whose txns above its zxid a replicated
/// node loads as uncommitted (<see cref="Recovery.LoadForReplication"/>) and the leader truncates; deleting the
/// log first would instead leave an older state that forgot txns this node may have acknowledged.
/// </summary>
public static class SnapshotInstall
{
    /// <summary>
    /// Checks <paramref name="snapshot"/> (bytes in the snapshot file format), writes it as
    /// dataDir/version-2/snapshot.&lt;hex zxid&gt;, deletes any newer snapshot (none can exist under ZAB; removed so
    /// recovery cannot pick it) and every log file, and returns the snapshot with its tree. Bytes that are not a
    /// sound snapshot throw <see cref="StorageException"/> before anything on disk changes. The caller closes its
    /// log writer first, since its current file is deleted.
    /// </summary>
    public static Snapshot Install(IStorageDevice device, string dataDir, string dataLogDir, long zxid, byte[] snapshot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(zxid);
        string snapFolder = Path.Combine(dataDir, ZkFiles.VersionFolder);
        string logFolder = Path.Combine(dataLogDir, ZkFiles.VersionFolder);
        string final = Path.Combine(snapFolder, ZkFiles.SnapshotName(zxid));
        var parsed = SnapshotReader.Parse(snapshot, zxid, $"snapshot at 0x{zxid:x} from the leader");

        device.ReplaceDurably(Path.Combine(snapFolder, ZkFiles.TempSnapshotName(zxid)), final, snapshot);

        bool deletedSnapshot = false;
        foreach (var (path, snapshotZxid) in ZkFiles.List(device, snapFolder, ZkFiles.SnapshotPrefix))
        {
            if (snapshotZxid <= zxid) continue;
            device.Delete(path);
            deletedSnapshot = true;
        }
        if (deletedSnapshot) device.SyncDirectory(snapFolder);

        if (device.DirectoryExists(logFolder))
        {
            var logs = ZkFiles.List(device, logFolder, ZkFiles.LogPrefix);
            // Newest first, as truncation does: a crash part way leaves the older files, never a gap.
            for (int i = logs.Count - 1; i >= 0; i--) device.Delete(logs[i].Path);
            if (logs.Count > 0) device.SyncDirectory(logFolder);
        }
        return parsed with { File = final };
    }
}
