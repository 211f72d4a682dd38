// Chooses which old snapshots and logs to delete (autopurge.snapRetainCount), keeping every log the kept snapshots need.
namespace Coordinator.Storage;

/// <summary>The files a purge removes, and the oldest snapshot zxid it keeps (everything from there on stays).</summary>
public sealed record PurgePlan(IReadOnlyList<string> Snapshots, IReadOnlyList<string> Logs, IReadOnlyList<string> TempFiles, long OldestKeptZxid)
{
    public bool IsEmpty => Snapshots.Count == 0 && Logs.Count == 0 && TempFiles.Count == 0;
}

/// <summary>
/// ZooKeeper's purge rule: keep the newest N snapshots that look complete; from the oldest kept snapshot's zxid Z,
/// keep the log that may contain Z (the newest one starting at or before it) and every later log, since replay
/// from any kept snapshot needs them. Delete older snapshots and logs, plus abandoned temp snapshots below Z.
/// Planning reads only names and snapshot tails; <see cref="Execute"/> deletes. The caller decides when (a clock).
/// </summary>
public static class Purge
{
    public static PurgePlan Plan(IStorageDevice device, string dataDir, string dataLogDir, int snapRetainCount = StorageLimits.SnapRetainCountDefault)
    {
        if (snapRetainCount < StorageLimits.SnapRetainCountDefault)
            throw new ArgumentOutOfRangeException(nameof(snapRetainCount), snapRetainCount, $"autopurge.snapRetainCount must be at least {StorageLimits.SnapRetainCountDefault}");
        string snapFolder = Path.Combine(dataDir, ZkFiles.VersionFolder);
        string logFolder = Path.Combine(dataLogDir, ZkFiles.VersionFolder);
        if (!device.DirectoryExists(snapFolder) || !device.DirectoryExists(logFolder)) return new PurgePlan([], [], [], 0);

        var snapshots = ZkFiles.List(device, snapFolder, ZkFiles.SnapshotPrefix);
        var kept = snapshots.Where(s => SnapshotReader.LooksComplete(device, s.Path)).TakeLast(snapRetainCount).ToList();
        if (kept.Count == 0) return new PurgePlan([], [], [], 0);
        long oldestKept = kept[0].Zxid;

        var logs = ZkFiles.List(device, logFolder, ZkFiles.LogPrefix);
        // The newest log that starts at or before the oldest kept snapshot may hold the txns right after it.
        long firstNeededLog = logs.Where(l => l.Zxid <= oldestKept).Select(l => l.Zxid).DefaultIfEmpty(long.MinValue).Max();
        var temps = ZkFiles.List(device, snapFolder, ZkFiles.TempSnapshotPrefix);
        return new PurgePlan(
            snapshots.Where(s => s.Zxid < oldestKept).Select(s => s.Path).ToList(),
            logs.Where(l => l.Zxid < firstNeededLog).Select(l => l.Path).ToList(),
            temps.Where(t => t.Zxid < oldestKept).Select(t => t.Path).ToList(),
            oldestKept);
    }

    public static void Execute(IStorageDevice device, PurgePlan plan)
    {
        foreach (string path in plan.Snapshots.Concat(plan.Logs).Concat(plan.TempFiles)) device.Delete(path);
        foreach (string folder in plan.Snapshots.Concat(plan.Logs).Concat(plan.TempFiles).Select(p => Path.GetDirectoryName(p)!).Distinct())
            device.SyncDirectory(folder);
    }
}
