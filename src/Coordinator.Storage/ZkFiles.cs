// ZooKeeper's dataDir layout: the version-2 folder, log.<hex zxid> and snapshot.<hex zxid> names, and storage's named limits.
using System.Globalization;

namespace Coordinator.Storage;

public static class ZkFiles
{
    /// <summary>ZooKeeper keeps both logs and snapshots in this subfolder of dataDir and dataLogDir.</summary>
    public const string VersionFolder = "version-2";

    public const string LogPrefix = "log";
    public const string SnapshotPrefix = "snapshot";

    /// <summary>
    /// Snapshots are written under this name first and renamed when complete. ZooKeeper only looks at names whose
    /// first dot-separated part is "snapshot", so it never mistakes a half-written temp file for a snapshot.
    /// </summary>
    public const string TempSnapshotPrefix = "tmp-snapshot";

    public static string LogName(long zxid) => $"{LogPrefix}.{zxid:x}";

    public static string SnapshotName(long zxid) => $"{SnapshotPrefix}.{zxid:x}";

    public static string TempSnapshotName(long zxid) => $"{TempSnapshotPrefix}.{zxid:x}";

    /// <summary>
    /// Parses "prefix.hexzxid" (and, for snapshots, a compression suffix such as ".gz") as ZooKeeper does: the
    /// part between the first and second dot is the zxid in hex.
    /// </summary>
    public static bool TryParse(string name, string prefix, out long zxid)
    {
        zxid = -1;
        string[] parts = name.Split('.');
        if (parts.Length < 2 || parts[0] != prefix) return false;
        if (parts.Length > 2 && (prefix != SnapshotPrefix || parts.Length > 3)) return false;
        return long.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out zxid) && zxid >= 0;
    }

    /// <summary>The files named prefix.zxid in a folder, oldest first.</summary>
    public static List<(string Path, long Zxid)> List(IStorageDevice device, string folder, string prefix)
    {
        var found = new List<(string Path, long Zxid)>();
        foreach (string name in device.ListFiles(folder))
        {
            if (TryParse(name, prefix, out long zxid)) found.Add((Path.Combine(folder, name), zxid));
        }
        found.Sort((a, b) => a.Zxid != b.Zxid ? a.Zxid.CompareTo(b.Zxid) : string.CompareOrdinal(a.Path, b.Path));
        return found;
    }
}

/// <summary>Bounds on what storage reads and writes (DESIGN.md habit 8), units last.</summary>
public static class StorageLimits
{
    /// <summary>ZooKeeper's zookeeper.preAllocSize default: logs grow in 64 MiB steps of zeros.</summary>
    public const long PreallocBytesDefault = 64L * 1024 * 1024;

    /// <summary>A log grows when fewer than this many bytes are left before its preallocated end (as ZooKeeper does).</summary>
    public const long PreallocSlackBytes = 4096;

    /// <summary>
    /// The largest txn record accepted. ZooKeeper bounds records by jute.maxbuffer (1 MiB by default) but an
    /// operator may raise that; anything beyond this bound is garbage, typically a torn length field.
    /// </summary>
    public const int RecordBytesMax = 256 * 1024 * 1024;

    /// <summary>The largest single field (path, data, ACL id) accepted in a snapshot, for the same reason.</summary>
    public const int SnapshotFieldBytesMax = 256 * 1024 * 1024;

    /// <summary>ZooKeeper's autopurge.snapRetainCount default and minimum.</summary>
    public const int SnapRetainCountDefault = 3;
}
