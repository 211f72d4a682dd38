// Group commit: a thread that appends every txn waiting for it, syncs once, then tells the loop how far is durable.
using System.Threading.Channels;
using Coordinator.StateMachine;

namespace Coordinator.Server.Pipeline;

internal sealed class LogFlusher
{
    /// <summary>Txns waiting for the log; the loop stops preparing writes while it is full.</summary>
    public const int QueueTxnsMax = 10_000;

    private readonly Channel<(TxnHeader Header, Txn Txn)> _queue = Channel.CreateBounded<(TxnHeader, Txn)>(
        new BoundedChannelOptions(QueueTxnsMax) { SingleReader = true, SingleWriter = true });
    private readonly ITxnLog _log;
    private readonly Action<long> _durable;
    private readonly Action<Exception> _failed;
    private readonly Action<long>? _syncedMs;
    private Task _run = Task.CompletedTask;

    /// <param name="durable">Called with the highest zxid made durable by a sync.</param>
    /// <param name="failed">Called once when the log fails; nothing after that is acknowledged.</param>
    /// <param name="syncedMs">Called with each sync's duration (ZooKeeper's fsynctime).</param>
    public LogFlusher(ITxnLog log, Action<long> durable, Action<Exception> failed, Action<long>? syncedMs = null)
    {
        _syncedMs = syncedMs;
        _log = log;
        _durable = durable;
        _failed = failed;
    }

    public long Syncs { get; private set; }

    private int _rollRequested;

    /// <summary>Asks the flusher to start a new log file before the next txn it appends (after a snapshot).</summary>
    public void RequestRoll() => Interlocked.Exchange(ref _rollRequested, 1);

    public void Start() => _run = Task.Factory.StartNew(RunAsync, TaskCreationOptions.LongRunning).Unwrap();

    /// <summary>False when the queue is full or closed; the caller answers the request with an error.</summary>
    public bool TryEnqueue(in TxnHeader header, Txn txn) => _queue.Writer.TryWrite((header, txn));

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                long last = 0;
                // Everything queued while the previous sync ran shares the next one.
                while (reader.TryRead(out var item))
                {
                    if (Interlocked.Exchange(ref _rollRequested, 0) == 1) _log.Roll();
                    _log.Append(item.Header, item.Txn);
                    last = item.Header.Zxid;
                }
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                _log.Sync();
                _syncedMs?.Invoke((long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Syncs++;
                _durable(last);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            _queue.Writer.TryComplete();
            _failed(e);
        }
    }

    public async Task StopAsync()
    {
        _queue.Writer.TryComplete();
        await _run;
    }
}
