// Connects a node to its data directories: recovery at start, the txn log, snapshots and autopurge.
using Coordinator.Server.Configuration;
using Coordinator.Server.Pipeline;
using Coordinator.StateMachine;
using Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Storage;

/// <remarks>
/// The log is written by the server's log-flusher thread only; snapshots are taken on the server loop, which
/// owns the tree, so they are exact rather than fuzzy (at the cost of pausing the loop while one is written).
/// Autopurge runs on a timer and only deletes files older than the newest snapshots it keeps.
/// </remarks>
internal sealed partial class DurableStorage : ITxnLog, ISnapshotter, IDisposable
{
    private readonly ServerSettings _settings;
    private readonly ILogger _log;
    private readonly TxnLogWriter _writer;
    private readonly string _snapshotFolder;
    private readonly Timer? _purgeTimer;

    private DurableStorage(ServerSettings settings, ILogger log, DataTree tree)
    {
        _settings = settings;
        _log = log;
        Tree = tree;
        _snapshotFolder = Path.Combine(settings.DataDir, ZkFiles.VersionFolder);
        _writer = new TxnLogWriter(PhysicalDevice.Instance, Path.Combine(settings.DataLogDir, ZkFiles.VersionFolder),
            new TxnLogOptions { ForceSync = settings.ForceSync });
        if (settings.AutopurgePurgeIntervalHours > 0)
        {
            var period = TimeSpan.FromHours(settings.AutopurgePurgeIntervalHours);
            _purgeTimer = new Timer(_ => PurgeOldFiles(), null, period, period);
        }
    }

    /// <summary>The tree as recovered from disk, with its sessions.</summary>
    public DataTree Tree { get; }

    /// <summary>
    /// Recovers the tree from dataDir/dataLogDir. A fresh directory gets snapshot.0 at once, as ZooKeeper writes
    /// one, so that ZooKeeper itself can later boot from our files. Throws StorageException when the data cannot
    /// be read: the server must not start on a silently empty tree.
    /// </summary>
    public static DurableStorage Open(ServerSettings settings, ILogger log)
    {
        var state = Recovery.Load(settings.DataDir, settings.DataLogDir);
        foreach (var warning in state.Warnings) LogRecoveryWarning(log, warning.ToString());
        LogRecovered(log, state.SnapshotFile ?? "(none)", state.TxnsReplayed, state.LastZxid, state.Tree.NodeCount);
        var storage = new DurableStorage(settings, log, state.Tree);
        if (state.SnapshotFile is null) storage.TakeSnapshot(state.Tree);
        return storage;
    }

    public void Append(in TxnHeader header, Txn txn) => _writer.Append(header, txn);

    public void Sync() => _writer.Flush();

    public void Roll() => _writer.Roll();

    public void TakeSnapshot(DataTree tree)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        string file = SnapshotWriter.Write(PhysicalDevice.Instance, _snapshotFolder, tree, tree.LastProcessedZxid);
        LogSnapshot(_log, file, tree.NodeCount, (long)started.Elapsed.TotalMilliseconds);
    }

    private void PurgeOldFiles()
    {
        try
        {
            var plan = Purge.Plan(PhysicalDevice.Instance, _settings.DataDir, _settings.DataLogDir, _settings.AutopurgeSnapRetainCount);
            if (plan.IsEmpty) return;
            Purge.Execute(PhysicalDevice.Instance, plan);
            LogPurged(_log, plan.Snapshots.Count, plan.Logs.Count);
        }
        catch (Exception e) when (e is IOException or StorageException or UnauthorizedAccessException)
        {
            LogPurgeFailed(_log, e.Message);
        }
    }

    public void Dispose()
    {
        _purgeTimer?.Dispose();
        _writer.Dispose();
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Recovery: {Warning}")]
    private static partial void LogRecoveryWarning(ILogger log, string warning);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Recovered from snapshot {Snapshot} plus {Txns} logged txns: last zxid 0x{Zxid:x}, {Nodes} znodes")]
    private static partial void LogRecovered(ILogger log, string snapshot, int txns, long zxid, int nodes);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Snapshot {File} written: {Nodes} znodes in {Ms} ms")]
    private static partial void LogSnapshot(ILogger log, string file, int nodes, long ms);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Autopurge removed {Snapshots} snapshots and {Logs} logs")]
    private static partial void LogPurged(ILogger log, int snapshots, int logs);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Autopurge failed: {Reason}")]
    private static partial void LogPurgeFailed(ILogger log, string reason);
}
