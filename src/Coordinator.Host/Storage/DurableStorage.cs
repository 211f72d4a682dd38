// Connects a node to its data directories: recovery at start, the txn log, snapshots and autopurge.
using Coordinator.Server.Configuration;
using Coordinator.Server.Pipeline;
using Coordinator.StateMachine;
using Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Storage;

/// <remarks>
/// The log is written by the server's log-flusher thread only. A snapshot is captured on the server loop, which
/// owns the tree (a quick copy of references and stat fields, so it is exact rather than fuzzy), and written to
/// disk on a background thread while the loop goes on serving; one is written at a time (a snapshot that comes due
/// while the previous one is still being written waits for it; ZooKeeper skips it). Autopurge runs on a
/// timer and only deletes files older than the newest snapshots it keeps.
/// </remarks>
internal sealed partial class DurableStorage : ITxnLog, ISnapshotter, IDisposable
{
    private readonly ServerSettings _settings;
    private readonly ILogger _log;
    private readonly TxnLogWriter _writer;
    private readonly string _snapshotFolder;
    private readonly Timer? _purgeTimer;
    private Task _snapshotWrite = Task.CompletedTask;

    /// <summary>The array snapshot images are captured into, reused from one snapshot to the next (one is written at a time).</summary>
    private NodeImage[]? _imageBuffer;

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
        if (state.SnapshotFile is null)
        {
            // Synchronously, and failing the start if it cannot be written: an unwritable dataDir is found now.
            string file = SnapshotWriter.Write(PhysicalDevice.Instance, storage._snapshotFolder, state.Tree, state.Tree.LastProcessedZxid);
            LogSnapshot(log, file, state.Tree.NodeCount, 0, 0);
        }
        return storage;
    }

    public void Append(in TxnHeader header, Txn txn) => _writer.Append(header, txn);

    public void Sync() => _writer.Flush();

    public void Roll() => _writer.Roll();

    /// <summary>Called on the server loop: captures the tree now and writes it in the background; false while the previous one is still being written.</summary>
    public bool TryTakeSnapshot(DataTree tree)
    {
        if (!_snapshotWrite.IsCompleted) return false;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var image = SnapshotImage.Capture(tree, tree.LastProcessedZxid, _imageBuffer);
        _imageBuffer = image.Buffer;
        long captureMs = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _snapshotWrite = Task.Run(() => WriteSnapshot(image, captureMs));
        return true;
    }

    private void WriteSnapshot(SnapshotImage image, long captureMs)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            string file = SnapshotWriter.Write(PhysicalDevice.Instance, _snapshotFolder, image);
            LogSnapshot(_log, file, image.Count, captureMs, (long)started.Elapsed.TotalMilliseconds);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The log still holds every txn, so a failed snapshot costs only a longer replay at the next start.
            LogSnapshotFailed(_log, image.Zxid, e.Message);
        }
        finally
        {
            image.Release();
        }
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
        // A snapshot half written stays a temp file that nothing reads; waiting lets the last one finish.
        _snapshotWrite.Wait();
        _writer.Dispose();
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Recovery: {Warning}")]
    private static partial void LogRecoveryWarning(ILogger log, string warning);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Recovered from snapshot {Snapshot} plus {Txns} logged txns: last zxid 0x{Zxid:x}, {Nodes} znodes")]
    private static partial void LogRecovered(ILogger log, string snapshot, int txns, long zxid, int nodes);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Snapshot {File} written: {Nodes} znodes, captured on the loop in {CaptureMs} ms, written in the background in {WriteMs} ms")]
    private static partial void LogSnapshot(ILogger log, string file, int nodes, long captureMs, long writeMs);

    [LoggerMessage(EventId = 306, Level = LogLevel.Error, Message = "Snapshot at zxid 0x{Zxid:x} failed: {Reason}; the txn log still holds every change")]
    private static partial void LogSnapshotFailed(ILogger log, long zxid, string reason);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Autopurge removed {Snapshots} snapshots and {Logs} logs")]
    private static partial void LogPurged(ILogger log, int snapshots, int logs);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Autopurge failed: {Reason}")]
    private static partial void LogPurgeFailed(ILogger log, string reason);
}
