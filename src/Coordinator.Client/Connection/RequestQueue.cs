// The requests waiting to be sent (kept across reconnects) and those sent and awaiting their reply (failed on disconnect).
using System.Threading.Channels;
using Coordinator.Jute;

namespace Coordinator.Client.Connection;

internal sealed class RequestQueue
{
    /// <summary>Requests queued for sending before callers wait for room: backpressure while no server answers.</summary>
    public const int QueuedRequestsMax = 10_000;

    private readonly Channel<PendingRequest> _outgoing = Channel.CreateBounded<PendingRequest>(
        new BoundedChannelOptions(QueuedRequestsMax) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    // Replies come back in the order requests were sent (ZooKeeper's FIFO guarantee), so a queue is the whole index.
    private readonly Queue<PendingRequest> _inFlight = new();

    // Auth is answered out of band (before earlier requests finish), so its replies are matched on their own queue.
    private readonly Queue<PendingRequest> _authInFlight = new();
    private readonly object _gate = new();
    private Func<Exception>? _closedError;
    private int _lastXid;

    public ChannelReader<PendingRequest> Outgoing => _outgoing.Reader;

    public async ValueTask EnqueueAsync(PendingRequest request, CancellationToken cancellation)
    {
        try
        {
            await _outgoing.Writer.WriteAsync(request, cancellation).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            request.ReleaseFrame();
            throw _closedError?.Invoke() ?? new ObjectDisposedException(nameof(CoordinatorClient));
        }
        catch (OperationCanceledException)
        {
            request.ReleaseFrame();
            throw;
        }
    }

    /// <summary>The next request xid. Only the send loop calls this (one at a time across reconnects); xids stay positive.</summary>
    public int NextXid()
    {
        _lastXid = _lastXid == int.MaxValue ? 1 : _lastXid + 1;
        return _lastXid;
    }

    /// <summary>Control packets (pings) skip the wait: if the queue is full, traffic is flowing and no ping is needed.</summary>
    public bool TryEnqueue(PendingRequest request) => _outgoing.Writer.TryWrite(request);

    /// <summary>Called by the send loop just before the bytes go out, so a fast reply always finds its request.</summary>
    public void MarkSent(PendingRequest request)
    {
        if (request.Kind is not (PacketKind.Request or PacketKind.Auth)) return;
        lock (_gate) (request.Kind == PacketKind.Auth ? _authInFlight : _inFlight).Enqueue(request);
    }

    /// <summary>The oldest request in flight, which must carry <paramref name="xid"/>; null means the server broke the order.</summary>
    public PendingRequest? TakeReply(int xid)
    {
        lock (_gate)
        {
            if (!_inFlight.TryPeek(out var head) || head.Xid != xid) return null;
            return _inFlight.Dequeue();
        }
    }

    public PendingRequest? TakeAuthReply()
    {
        lock (_gate) return _authInFlight.TryDequeue(out var r) ? r : null;
    }

    public int InFlightCount
    {
        get { lock (_gate) return _inFlight.Count; }
    }

    /// <summary>On disconnect: whatever was sent has an unknown outcome.</summary>
    public void FailInFlight(Func<PendingRequest, Exception> error)
    {
        List<PendingRequest> failed;
        lock (_gate)
        {
            failed = [.. _inFlight, .. _authInFlight];
            _inFlight.Clear();
            _authInFlight.Clear();
        }
        foreach (var r in failed) r.Fail(error(r));
    }

    /// <summary>Fails every request not yet sent. Only the connection loop calls this, while no send loop runs.</summary>
    public void FailQueued(Func<PendingRequest, Exception> error)
    {
        while (_outgoing.Reader.TryRead(out var r))
        {
            r.ReleaseFrame();
            r.Fail(error(r));
        }
    }

    /// <summary>No more requests are accepted; later callers get <paramref name="error"/>.</summary>
    public void Close(Func<Exception> error)
    {
        _closedError = error;
        _outgoing.Writer.TryComplete();
    }

    public static Exception ConnectionLoss(PendingRequest r) => new ConnectionLossException(r.ClientPath);

    public static JuteWriter Frame(PendingRequest r) => r.Frame ?? throw new InvalidOperationException("frame already released");
}
