// Connects a node to its data directories: recovery at start, the txn log, snapshots, autopurge and the state replication keeps.
using Coordinator.Server.Configuration;
using Coordinator.Server.Pipeline;
using Coordinator.Server.Replication;
using Coordinator.StateMachine;
using Coordinator.Storage;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Storage;

/// <remarks>
/// The log is written by the server's log-flusher thread only. A snapshot is captured on the server loop, which
/// owns the tree (a quick copy of references and stat fields, so it is exact rather than fuzzy), and written to
/// disk on a background thread while the loop goes on serving; one is written at a time (a snapshot that comes due
/// while the previous one is still being written waits for it; ZooKeeper skips it). Autopurge runs on a
/// timer and only deletes files older than the newest snapshots it keeps. A replicated node also truncates the
/// log and installs snapshots from the leader (<see cref="IReplicaStorage"/>), on the log-flusher thread, in order
/// with appends; those wait for a snapshot being written and exclude autopurge, so no two of them change the same
/// folder at once.
/// </remarks>
internal sealed partial class DurableStorage : ITxnLog, ISnapshotter, IReplicaStorage, IDisposable
{
    private readonly ServerSettings _settings;
    private readonly ILogger _log;
    private readonly TxnLogWriter _writer;
    private readonly string _snapshotFolder;
    private readonly Timer? _purgeTimer;
    private Task _snapshotWrite = Task.CompletedTask;

    /// <summary>Held while files are deleted or cut: autopurge on its timer, truncation and snapshot install on the flusher.</summary>
    private readonly Lock _filesLock = new();

    /// <summary>The snapshot being taken: the loop pumps its capture into the writer (null when none is).</summary>
    private CapturePipe? _pipe;

    /// <summary>Stops the snapshot being written (truncation, snapshot install, shutdown); replaced for each snapshot.</summary>
    private CancellationTokenSource _snapshotCancel = new();

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

    /// <summary>The tree as recovered from disk, with its sessions (replayed for <see cref="Open"/>; as of the snapshot for <see cref="OpenReplica"/>).</summary>
    public DataTree Tree { get; }

    /// <summary>The zxid <see cref="Tree"/> is at when opened: the newest snapshot's for a replica, the last replayed txn's otherwise.</summary>
    public long SnapshotZxid { get; private init; }

    /// <summary>
    /// For a replica, the txns logged after the snapshot as found at start, in zxid order and not applied: the ZAB
    /// core applies them once a leader shows they are committed, or truncates them. Empty for <see cref="Open"/>.
    /// </summary>
    public IReadOnlyList<TxnEntry> LogAfterSnapshot { get; private init; } = [];

    /// <summary>The acceptedEpoch on disk (for <see cref="Open"/>, which keeps no epochs: the epoch of the last zxid).</summary>
    public int AcceptedEpoch { get; private set; }

    /// <summary>The currentEpoch on disk (for <see cref="Open"/>: the epoch of the last zxid).</summary>
    public int CurrentEpoch { get; private set; }

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
        int epoch = EpochFiles.EpochOf(state.LastZxid);
        var storage = new DurableStorage(settings, log, state.Tree)
        {
            SnapshotZxid = state.LastZxid,
            AcceptedEpoch = epoch,
            CurrentEpoch = epoch,
        };
        if (state.SnapshotFile is null)
        {
            // Synchronously, and failing the start if it cannot be written: an unwritable dataDir is found now.
            string file = SnapshotWriter.Write(PhysicalDevice.Instance, storage._snapshotFolder, state.Tree, state.Tree.LastProcessedZxid);
            LogSnapshot(log, file, state.Tree.NodeCount, 0, 0);
        }
        return storage;
    }

    /// <summary>
    /// Opens a replicated node's directories without replaying the log (<see cref="Recovery.LoadForReplication"/>):
    /// txns logged after the snapshot are not known to be committed. Epoch files that are missing are written with
    /// the epoch of the last logged zxid, as ZooKeeper does, so the value cannot change later under a truncation.
    /// Throws StorageException when the data or an epoch file cannot be read.
    /// </summary>
    public static DurableStorage OpenReplica(ServerSettings settings, ILogger log)
    {
        var state = Recovery.LoadForReplication(PhysicalDevice.Instance, settings.DataDir, settings.DataLogDir);
        foreach (var warning in state.Warnings) LogRecoveryWarning(log, warning.ToString());
        var epochs = state.Epochs;
        LogReplicaRecovered(log, state.SnapshotFile ?? "(none)", state.SnapshotZxid, state.LogAfterSnapshot.Count, state.LastLoggedZxid,
            epochs.AcceptedEpoch, epochs.CurrentEpoch, state.Tree.NodeCount);
        var storage = new DurableStorage(settings, log, state.Tree)
        {
            SnapshotZxid = state.SnapshotZxid,
            LogAfterSnapshot = state.LogAfterSnapshot,
            AcceptedEpoch = epochs.AcceptedEpoch,
            CurrentEpoch = epochs.CurrentEpoch,
        };
        foreach (string name in epochs.Derived)
        {
            int epoch = name == EpochFiles.AcceptedEpochName ? epochs.AcceptedEpoch : epochs.CurrentEpoch;
            EpochFiles.Write(PhysicalDevice.Instance, storage._snapshotFolder, name, epoch);
            LogEpochDerived(log, name, epoch, state.LastLoggedZxid);
        }
        if (state.SnapshotFile is null)
        {
            // The empty tree at zxid 0, so that ZooKeeper itself can boot from our files (as Open does).
            string file = SnapshotWriter.Write(PhysicalDevice.Instance, storage._snapshotFolder, state.Tree, 0);
            LogSnapshot(log, file, state.Tree.NodeCount, 0, 0);
        }
        return storage;
    }

    public void Append(in TxnHeader header, Txn txn) => _writer.Append(header, txn);

    public void Sync() => _writer.Flush();

    public void Roll() => _writer.Roll();

    /// <summary>
    /// Called on the server loop: starts capturing the tree as of now; the loop then pumps the capture into the
    /// writer thread share by share (<see cref="ContinueSnapshot"/>). False while the previous one is still going.
    /// </summary>
    public bool TryStartSnapshot(DataTree tree, Action wake)
    {
        if (!_snapshotWrite.IsCompleted) return false;
        // A write that stopped (failed or cancelled) leaves its capture open until the loop pumps once more.
        ContinueSnapshot();
        if (_pipe is not null) return false;
        var pipe = new CapturePipe(tree.BeginCapture(), wake);
        var cancel = new CancellationTokenSource();
        _pipe = pipe;
        _snapshotCancel = cancel;
        Volatile.Write(ref _snapshotWrite, Task.Run(() => WriteSnapshot(pipe, cancel.Token)));
        ContinueSnapshot();
        return true;
    }

    /// <summary>Called on the server loop: passes the next share of the capture to the writer, if it has room.</summary>
    public void ContinueSnapshot()
    {
        if (_pipe is { } pipe && pipe.Pump()) _pipe = null;
    }

    private void WriteSnapshot(CapturePipe pipe, CancellationToken cancellation)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            string file = SnapshotWriter.Write(PhysicalDevice.Instance, _snapshotFolder, pipe, cancellation);
            LogSnapshot(_log, file, pipe.Capture.Taken, (long)started.Elapsed.TotalMilliseconds, pipe.Capture.CopiedOnWrite);
        }
        catch (OperationCanceledException)
        {
            LogSnapshotStopped(_log, pipe.Capture.Zxid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The log still holds every txn, so a failed snapshot costs only a longer replay at the next start.
            LogSnapshotFailed(_log, pipe.Capture.Zxid, e.Message);
        }
        finally
        {
            pipe.Close();
        }
    }

    /// <summary>Writes the epochs that changed, acceptedEpoch first so a crash between the two never leaves currentEpoch above it.</summary>
    public void SaveEpochs(int acceptedEpoch, int currentEpoch)
    {
        if (currentEpoch > acceptedEpoch)
            throw new ArgumentException($"currentEpoch {currentEpoch} above acceptedEpoch {acceptedEpoch}: a node accepts an epoch before it follows it", nameof(currentEpoch));
        if (acceptedEpoch != AcceptedEpoch)
        {
            EpochFiles.Write(PhysicalDevice.Instance, _snapshotFolder, EpochFiles.AcceptedEpochName, acceptedEpoch);
            AcceptedEpoch = acceptedEpoch;
        }
        if (currentEpoch != CurrentEpoch)
        {
            EpochFiles.Write(PhysicalDevice.Instance, _snapshotFolder, EpochFiles.CurrentEpochName, currentEpoch);
            CurrentEpoch = currentEpoch;
        }
        LogEpochsSaved(_log, acceptedEpoch, currentEpoch);
    }

    /// <summary>Called on the log-flusher thread: closes the current log (probably the file being cut), then truncates.</summary>
    public void TruncateLogAfter(long zxid)
    {
        WaitForSnapshotWrite();
        _writer.Roll();
        TruncationResult result;
        lock (_filesLock) result = LogTruncation.After(PhysicalDevice.Instance, _settings.DataDir, _settings.DataLogDir, zxid);
        if (result.IsEmpty) return;
        _writer.RestartAfter(zxid);
        LogTruncated(_log, zxid, result.TxnsDropped, result.FilesCut.Count, result.FilesDeleted.Count);
    }

    /// <summary>Called on the log-flusher thread: the log is deleted, so the writer's current file is closed first.</summary>
    public DataTree InstallSnapshot(long zxid, byte[] snapshot)
    {
        WaitForSnapshotWrite();
        _writer.Roll();
        Coordinator.Storage.Snapshot installed;
        lock (_filesLock) installed = SnapshotInstall.Install(PhysicalDevice.Instance, _settings.DataDir, _settings.DataLogDir, zxid, snapshot);
        _writer.RestartAfter(zxid);
        LogSnapshotInstalled(_log, installed.File, installed.Tree.NodeCount, snapshot.Length);
        return installed.Tree;
    }

    public byte[] SerializeSnapshot(DataTree tree) => SnapshotWriter.Serialize(tree);

    /// <summary>
    /// A snapshot still being written in the background could land after a truncation or install decided which
    /// files stay (a snapshot above the zxid they keep), so they stop it and wait until it is gone. They run on the
    /// flusher thread while the loop waits for them, so the loop cannot pump the capture on: it is cancelled, not
    /// waited for (its temp file is deleted; the next snapshot comes at the next snapCount).
    /// </summary>
    private void WaitForSnapshotWrite()
    {
        _snapshotCancel.Cancel();
        Volatile.Read(ref _snapshotWrite).Wait();
    }

    private void PurgeOldFiles()
    {
        try
        {
            lock (_filesLock)
            {
                var plan = Purge.Plan(PhysicalDevice.Instance, _settings.DataDir, _settings.DataLogDir, _settings.AutopurgeSnapRetainCount);
                if (plan.IsEmpty) return;
                Purge.Execute(PhysicalDevice.Instance, plan);
                LogPurged(_log, plan.Snapshots.Count, plan.Logs.Count);
            }
        }
        catch (Exception e) when (e is IOException or StorageException or UnauthorizedAccessException)
        {
            LogPurgeFailed(_log, e.Message);
        }
    }

    public void Dispose()
    {
        _purgeTimer?.Dispose();
        // The loop has stopped pumping: a snapshot in progress cannot finish, so it is stopped (no file is left).
        WaitForSnapshotWrite();
        _writer.Dispose();
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Recovery: {Warning}")]
    private static partial void LogRecoveryWarning(ILogger log, string warning);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Recovered from snapshot {Snapshot} plus {Txns} logged txns: last zxid 0x{Zxid:x}, {Nodes} znodes")]
    private static partial void LogRecovered(ILogger log, string snapshot, int txns, long zxid, int nodes);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Snapshot {File} written: {Nodes} znodes in {WriteMs} ms, taken from the loop in shares while it kept serving ({CopiedOnWrite} znodes changed meanwhile were copied first)")]
    private static partial void LogSnapshot(ILogger log, string file, int nodes, long writeMs, int copiedOnWrite);

    [LoggerMessage(EventId = 307, Level = LogLevel.Information, Message = "Snapshot at zxid 0x{Zxid:x} stopped before it was complete (log truncation, snapshot install or shutdown); no file was left")]
    private static partial void LogSnapshotStopped(ILogger log, long zxid);

    [LoggerMessage(EventId = 306, Level = LogLevel.Error, Message = "Snapshot at zxid 0x{Zxid:x} failed: {Reason}; the txn log still holds every change")]
    private static partial void LogSnapshotFailed(ILogger log, long zxid, string reason);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Autopurge removed {Snapshots} snapshots and {Logs} logs")]
    private static partial void LogPurged(ILogger log, int snapshots, int logs);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Autopurge failed: {Reason}")]
    private static partial void LogPurgeFailed(ILogger log, string reason);

    [LoggerMessage(EventId = 324, Level = LogLevel.Information, Message = "Replica recovered from snapshot {Snapshot} at zxid 0x{SnapshotZxid:x}, not replaying {Txns} logged txns up to 0x{LastZxid:x}; acceptedEpoch {AcceptedEpoch}, currentEpoch {CurrentEpoch}, {Nodes} znodes")]
    private static partial void LogReplicaRecovered(ILogger log, string snapshot, long snapshotZxid, int txns, long lastZxid, int acceptedEpoch, int currentEpoch, int nodes);

    [LoggerMessage(EventId = 325, Level = LogLevel.Information, Message = "Epoch file {File} was missing: wrote {Epoch}, the epoch of the last logged zxid 0x{Zxid:x}")]
    private static partial void LogEpochDerived(ILogger log, string file, int epoch, long zxid);

    [LoggerMessage(EventId = 326, Level = LogLevel.Debug, Message = "Epochs saved: acceptedEpoch {AcceptedEpoch}, currentEpoch {CurrentEpoch}")]
    private static partial void LogEpochsSaved(ILogger log, int acceptedEpoch, int currentEpoch);

    [LoggerMessage(EventId = 327, Level = LogLevel.Information, Message = "Log truncated after zxid 0x{Zxid:x}: {Txns} txns dropped, {Cut} files cut, {Deleted} files deleted")]
    private static partial void LogTruncated(ILogger log, long zxid, int txns, int cut, int deleted);

    [LoggerMessage(EventId = 328, Level = LogLevel.Information, Message = "Snapshot {File} installed from the leader ({Nodes} znodes, {Bytes} bytes); the log before it was deleted")]
    private static partial void LogSnapshotInstalled(ILogger log, string file, int nodes, int bytes);
}
