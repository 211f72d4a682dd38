// Group commit: a thread that appends every txn waiting for it, syncs once, then tells the loop how far is durable.
using System.Threading.Channels;
using Coordinator.StateMachine;

namespace Coordinator.Server.Pipeline;

internal sealed class LogFlusher
{
    /// <summary>Txns waiting for the log; the loop stops preparing writes while it is full.</summary>
    public const int QueueTxnsMax = 10_000;

    /// <summary>A txn to append, or (Txn null) an operation on the storage that must run in order with the appends.</summary>
    private readonly record struct Item(TxnHeader Header, Txn? Txn, Action? Operation, TaskCompletionSource? Done);

    private readonly Channel<Item> _queue = Channel.CreateBounded<Item>(
        new BoundedChannelOptions(QueueTxnsMax) { SingleReader = true, SingleWriter = true });
    private readonly ITxnLog _log;
    private readonly Action<long> _durable;
    private readonly Action<Exception> _failed;
    private readonly Action<long>? _syncedMs;
    private Task _run = Task.CompletedTask;
    private long _durableZxid = -1;

    /// <param name="durable">Called with the highest zxid made durable by a sync; must not block (see <see cref="DurableZxid"/>).</param>
    /// <param name="failed">Called once when the log fails; nothing after that is acknowledged; must not block.</param>
    /// <param name="syncedMs">Called with each sync's duration (ZooKeeper's fsynctime).</param>
    public LogFlusher(ITxnLog log, Action<long> durable, Action<Exception> failed, Action<long>? syncedMs = null)
    {
        _syncedMs = syncedMs;
        _log = log;
        _durable = durable;
        _failed = failed;
    }

    public long Syncs { get; private set; }

    /// <summary>
    /// The highest zxid made durable so far (-1 before the first sync). The durable callback may be dropped when
    /// the loop's queue is full, so the loop also reads this on its ticks.
    /// </summary>
    public long DurableZxid => Volatile.Read(ref _durableZxid);

    /// <summary>Why the log stopped, once it has; the loop also reads this on its ticks.</summary>
    public Exception? Failure { get; private set; }

    private int _rollRequested;

    /// <summary>Asks the flusher to start a new log file before the next txn it appends (after a snapshot).</summary>
    public void RequestRoll() => Interlocked.Exchange(ref _rollRequested, 1);

    public void Start() => _run = Task.Factory.StartNew(RunAsync, TaskCreationOptions.LongRunning).Unwrap();

    /// <summary>False when the queue is full or closed; the caller answers the request with an error.</summary>
    public bool TryEnqueue(in TxnHeader header, Txn txn) => _queue.Writer.TryWrite(new Item(header, txn, null, null));

    /// <summary>
    /// Queues a txn, waiting for room when the queue is full (a learner persisting what its leader sent: the
    /// flusher drains on its own, so the wait ends). Throws IOException once the log has failed.
    /// </summary>
    public void Enqueue(in TxnHeader header, Txn txn) => Write(new Item(header, txn, null, null));

    private void Write(Item item)
    {
        if (Failure is { } failure) throw new IOException("the transaction log has failed", failure);
        if (_queue.Writer.TryWrite(item)) return;
        try
        {
            if (!_queue.Writer.WriteAsync(item).AsTask().Wait(TimeSpan.FromMinutes(10)))
                throw new IOException("the transaction log took nothing for 10 minutes");
        }
        catch (AggregateException e)
        {
            throw new IOException("the transaction log has failed", e.InnerException);
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on the flusher thread after every txn queued before it is durable, and
    /// waits for it (replication's truncation, snapshot install and epoch files: each durable before the next
    /// step). Throws what the operation threw, or IOException when the log has already failed.
    /// </summary>
    public void RunInOrder(Action operation)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Write(new Item(default, null, operation, done));
        try { done.Task.Wait(); }
        catch (AggregateException e) when (e.InnerException is not null) { throw e.InnerException; }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                long last = -1;
                // Everything queued while the previous sync ran shares the next one.
                while (reader.TryRead(out var item))
                {
                    if (item.Txn is null)
                    {
                        if (last >= 0) SyncAndReport(last);
                        last = -1;
                        RunOperation(item);
                        continue;
                    }
                    if (Interlocked.Exchange(ref _rollRequested, 0) == 1) _log.Roll();
                    _log.Append(item.Header, item.Txn);
                    last = item.Header.Zxid;
                }
                if (last >= 0) SyncAndReport(last);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Failure = e;
            _queue.Writer.TryComplete();
            // Operations still queued learn of the failure instead of waiting forever.
            while (reader.TryRead(out var item)) item.Done?.TrySetException(new IOException("the transaction log failed", e));
            _failed(e);
        }
    }

    private void SyncAndReport(long last)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        _log.Sync();
        _syncedMs?.Invoke((long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        Syncs++;
        Volatile.Write(ref _durableZxid, last);
        _durable(last);
    }

    private static void RunOperation(Item item)
    {
        try
        {
            item.Operation!();
            item.Done!.SetResult();
        }
        catch (Exception e)
        {
            item.Done!.SetException(e);
            // A storage operation that failed leaves the disk in an unknown state: the log stops like a failed sync.
            if (e is IOException or UnauthorizedAccessException or InvalidOperationException) throw;
        }
    }

    public async Task StopAsync()
    {
        _queue.Writer.TryComplete();
        await _run;
    }
}
