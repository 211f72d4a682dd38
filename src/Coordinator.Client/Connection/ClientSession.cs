// The session across connections: picks servers, reconnects with the same id and password, re-registers watches and
// auth, handles expiry, and routes every incoming frame to its request, its watches or the connection state.
using Coordinator.Client.Operations;
using Coordinator.Client.Watches;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Microsoft.Extensions.Logging;

namespace Coordinator.Client.Connection;

internal sealed record AuthEntry(string Scheme, byte[] Auth);

internal sealed class ClientSession : IFrameHandler, IAsyncDisposable
{
    private static readonly TimeSpan CloseTimeoutMax = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ConnectTimeoutMin = TimeSpan.FromMilliseconds(500);

    /// <summary>A connection that lasts this long resets the reconnect back-off.</summary>
    private static readonly TimeSpan StableConnection = TimeSpan.FromSeconds(1);

    private readonly CoordinatorClientOptions _options;
    private readonly ServerAddress[] _servers;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Action<ConnectionStateChangedEventArgs> _onStateChanged;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _stateGate = new();
    private readonly List<AuthEntry> _auth = [];
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ConnectionState _state = ConnectionState.Disconnected;
    private int _nextServer;
    private long _sessionId;
    private byte[] _password;
    private int _timeoutMs;
    private long _lastZxid;
    private volatile Transport? _transport;
    private volatile bool _closeRequested;

    /// <summary>
    /// Until a read-write server has been seen, every connect asks for a new session, as ZooKeeper's client does:
    /// a session a read-only server handed out is not known to the quorum.
    /// </summary>
    private volatile bool _seenReadWriteServer;
    private int _disposed;
    private long _reconnectNotBefore;
    private int _setWatchesOutstanding;
    private (ConnectionState State, bool IsNew) _pendingConnected;
    private Task _loop = Task.CompletedTask;

    public ClientSession(CoordinatorClientOptions options, ILogger log, TimeProvider time, Action<ConnectionStateChangedEventArgs> onStateChanged)
    {
        _options = options;
        var connection = ConnectionString.Parse(options.ConnectionString);
        // Random order spreads clients over the ensemble, as ZooKeeper's StaticHostProvider does.
        _servers = [.. connection.Servers];
        Random.Shared.Shuffle(_servers);
        Chroot = new Chroot(connection.Chroot);
        _log = log;
        _time = time;
        _onStateChanged = onStateChanged;
        _sessionId = options.SessionId;
        _seenReadWriteServer = options.SessionId != 0;
        _password = options.SessionPassword ?? new byte[Limits.SessionPasswordBytes];
        _timeoutMs = (int)options.SessionTimeout.TotalMilliseconds;
        Dispatcher = new EventDispatcher(log);
        if (options.DigestAuth is { } digest) _auth.Add(new AuthEntry("digest", System.Text.Encoding.UTF8.GetBytes(digest)));
    }

    public RequestQueue Queue { get; } = new();

    public WatchRegistry Watches { get; } = new();

    public EventDispatcher Dispatcher { get; }

    public Chroot Chroot { get; }

    public long SessionId => Volatile.Read(ref _sessionId);

    public byte[] SessionPassword => (byte[])_password.Clone();

    public TimeSpan NegotiatedTimeout => TimeSpan.FromMilliseconds(Volatile.Read(ref _timeoutMs));

    public long LastZxid => Volatile.Read(ref _lastZxid);

    public ServerAddress? CurrentServer => _transport?.Server;

    public ConnectionState State
    {
        get { lock (_stateGate) return _state; }
    }

    public void Start() => _loop = Task.Run(RunAsync);

    public Task WaitForConnectedAsync(CancellationToken cancellation)
    {
        lock (_stateGate) return _connected.Task.WaitAsync(cancellation);
    }

    /// <summary>
    /// Test hook: drop the TCP connection as a network failure would; the session reconnects, after
    /// <paramref name="holdOff"/> (a partition that lasts that long).
    /// </summary>
    public void DropConnection(TimeSpan holdOff)
    {
        Volatile.Write(ref _reconnectNotBefore, _time.GetTimestamp() + (long)(holdOff.TotalSeconds * _time.TimestampFrequency));
        _transport?.Abort();
    }

    public void AddAuth(AuthEntry entry)
    {
        lock (_auth) _auth.Add(entry);
    }

    /// <summary>Queues a request and returns its completion; the hot path allocates the request and its frame only.</summary>
    public Task<T> SubmitAsync<T>(OpCode op, IRecord? body, string? clientPath, ResponseDecoder<T> decode, WatchRegistration? watch,
        CancellationToken cancellation, PacketKind kind = PacketKind.Request, AuthEntry? auth = null, IReadOnlyList<string>? opPaths = null)
    {
        if (cancellation.IsCancellationRequested) return Task.FromCanceled<T>(cancellation);
        var frame = PendingRequest.BuildFrame(op, body);
        if (frame.Length - 4 > _options.PacketBytesMax)
        {
            int size = frame.Length - 4;
            frame.Dispose();
            throw new ArgumentException($"{op} request for {clientPath} is {size} bytes, over the {_options.PacketBytesMax}-byte packet limit (jute.maxbuffer)");
        }
        var request = new PendingRequest<T>(kind, op, clientPath, Chroot, frame, decode) { Watch = watch, Auth = auth, OpPaths = opPaths };
        request.CancelWith(cancellation);
        var enqueued = Queue.EnqueueAsync(request, cancellation);
        return enqueued.IsCompletedSuccessfully ? request.Task : AwaitEnqueued(enqueued, request);
    }

    private static async Task<T> AwaitEnqueued<T>(ValueTask enqueued, PendingRequest<T> request)
    {
        await enqueued.ConfigureAwait(false);
        return await request.Task.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        int failedCycles = 0;
        int failuresInCycle = 0;
        long disconnectedSince = _time.GetTimestamp();
        long connectedAt = 0;
        while (!_stop.IsCancellationRequested && !_closeRequested)
        {
            long holdOff = Volatile.Read(ref _reconnectNotBefore) - _time.GetTimestamp();
            if (holdOff > 0)
            {
                try { await Task.Delay(TimeSpan.FromSeconds((double)holdOff / _time.TimestampFrequency), _time, _stop.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
            int serverIndex = Volatile.Read(ref _nextServer) % _servers.Length;
            Volatile.Write(ref _nextServer, serverIndex + 1);
            var server = _servers[serverIndex];
            bool connected = false;
            Exception reason;
            Transport? transport = null;
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                attempt.CancelAfter(ConnectTimeout());
                transport = await Transport.ConnectAsync(server, _options.PacketBytesMax, _time, attempt.Token).ConfigureAwait(false);
                var response = await transport.HandshakeAsync(ConnectRequest(), attempt.Token).ConfigureAwait(false);
                if (response.TimeoutMs <= 0)
                {
                    if (!OnExpired()) return;
                    continue;
                }
                connected = true;
                connectedAt = _time.GetTimestamp();
                _transport = transport;
                var first = ReconnectPackets();
                Established(response, server, first.Count(p => p.Kind == PacketKind.SetWatches));
                using var leaving = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var search = response.ReadOnly == true && _servers.Length > 1
                    ? SearchReadWriteServerAsync(serverIndex, transport, leaving.Token)
                    : Task.CompletedTask;
                reason = await transport.RunAsync(Queue, first, this, NegotiatedTimeout, Ping, _stop.Token).ConfigureAwait(false);
                await leaving.CancelAsync().ConfigureAwait(false);
                await search.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                reason = e;
            }
            finally
            {
                _transport = null;
                transport?.Dispose();
            }

            Queue.FailInFlight(RequestQueue.ConnectionLoss);
            if (connected)
            {
                ClientLog.Disconnected(_log, server.ToString(), reason.Message);
                // Closing: the server hangs up after closeSession; that is the end, not a disconnection.
                if (!_closeRequested) SetState(ConnectionState.Disconnected);
                // A connection that held is a real drop: try the next server at once. One that fell over straight
                // after the handshake counts as a failed attempt, so a server that keeps doing that is not hammered.
                bool held = _time.GetElapsedTime(connectedAt) >= StableConnection;
                disconnectedSince = _time.GetTimestamp();
                if (held)
                {
                    failuresInCycle = failedCycles = 0;
                    continue;
                }
            }
            else
            {
                ClientLog.ConnectFailed(_log, server.ToString(), reason.Message);
            }
            GiveUpQueuedIfTooLong(disconnectedSince);
            if (++failuresInCycle >= _servers.Length)
            {
                // Every server failed once: back off (with jitter, so a restarted ensemble is not stampeded).
                failuresInCycle = 0;
                int ceilingMs = Math.Min(1000, 50 << Math.Min(failedCycles++, 5));
                try { await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(ceilingMs / 2, ceilingMs + 1)), _time, _stop.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>
    /// While connected read-only: once another server answers "rw", make it the next one tried and drop this
    /// connection, so the loop reconnects there (the states go Disconnected, then Connected, as in ZooKeeper).
    /// </summary>
    private async Task SearchReadWriteServerAsync(int current, Transport transport, CancellationToken cancellation)
    {
        if (await ReadWriteServerProbe.FindAsync(_servers, current, _time, cancellation).ConfigureAwait(false) is not { } found) return;
        ClientLog.ReadWriteServerFound(_log, _servers[found].ToString(), _servers[current].ToString());
        Volatile.Write(ref _nextServer, found);
        transport.Abort();
    }

    private TimeSpan ConnectTimeout()
    {
        // As ZooKeeper's client: the session timeout shared among the servers, so one pass over all fits inside it.
        var perServer = _options.SessionTimeout / _servers.Length;
        return perServer < ConnectTimeoutMin ? ConnectTimeoutMin : perServer;
    }

    private ConnectRequest ConnectRequest() =>
        new(0, LastZxid, (int)_options.SessionTimeout.TotalMilliseconds, _seenReadWriteServer ? SessionId : 0, _password, _options.CanBeReadOnly);

    /// <summary>
    /// Records the session the server granted. The Connected state waits for the replies to the re-registered watches,
    /// so whoever reacts to it (a cache resyncing, a test writing from another client) finds every watch in place.
    /// </summary>
    private void Established(ConnectResponse response, ServerAddress server, int setWatchesPackets)
    {
        bool isNew = response.SessionId != SessionId;
        Volatile.Write(ref _sessionId, response.SessionId);
        _password = response.Password;
        Volatile.Write(ref _timeoutMs, response.TimeoutMs);
        bool readOnly = response.ReadOnly == true;
        if (!readOnly) _seenReadWriteServer = true;
        ClientLog.Connected(_log, response.SessionId, server.ToString(), response.TimeoutMs, readOnly ? ", read-only" : "");
        _pendingConnected = (readOnly ? ConnectionState.ConnectedReadOnly : ConnectionState.Connected, isNew);
        // Set before the receive loop starts, so no reply can race it.
        Volatile.Write(ref _setWatchesOutstanding, setWatchesPackets);
        if (setWatchesPackets == 0) EnterConnected();
    }

    private void EnterConnected()
    {
        var (state, isNew) = _pendingConnected;
        SetState(state, isNew);
    }

    /// <summary>Returns whether to keep going with a new session.</summary>
    private bool OnExpired()
    {
        bool renew = _options.RenewSessionOnExpiry && !_closeRequested;
        ClientLog.Expired(_log, SessionId, renew ? "; opening a new session" : "");
        // Close before anyone hears of the expiry, so a call made in reaction to it fails instead of waiting forever.
        if (!renew) Queue.Close(() => new SessionExpiredException(null));
        Queue.FailInFlight(r => new SessionExpiredException(r.ClientPath));
        Queue.FailQueued(r => new SessionExpiredException(r.ClientPath));
        SetState(ConnectionState.Expired);
        Dispatcher.Post(new WatchedEvent(EventType.None, KeeperState.Expired, null), Watches.DropOneShot());
        if (!renew)
        {
            lock (_stateGate) _connected.TrySetException(new SessionExpiredException(null));
            return false;
        }
        Volatile.Write(ref _sessionId, 0);
        _password = new byte[Limits.SessionPasswordBytes];
        return true;
    }

    private void GiveUpQueuedIfTooLong(long disconnectedSince)
    {
        var limit = _options.DisconnectedRequestTimeout ?? NegotiatedTimeout;
        var elapsed = _time.GetElapsedTime(disconnectedSince);
        if (elapsed < limit) return;
        ClientLog.GivingUpQueued(_log, (long)elapsed.TotalMilliseconds, "queued requests");
        Queue.FailQueued(r => new ConnectionLossException(r.ClientPath, $"no server reachable for {elapsed.TotalMilliseconds:F0} ms"));
    }

    private PendingRequest Ping() => new ControlPacket(PacketKind.Ping, OpCode.Ping, PendingRequest.BuildFrame(OpCode.Ping, null), Chroot);

    /// <summary>Auth first (a watch's path may need it), then every watch in chunks, ahead of anything queued.</summary>
    private List<PendingRequest> ReconnectPackets()
    {
        var packets = new List<PendingRequest>();
        lock (_auth)
        {
            foreach (var entry in _auth)
                packets.Add(new ControlPacket(PacketKind.Auth, OpCode.Auth, PendingRequest.BuildFrame(OpCode.Auth, new AuthPacket(0, entry.Scheme, entry.Auth)), Chroot) { Auth = entry });
        }
        var snapshot = Watches.Snapshot(Chroot.ToServer);
        if (snapshot.IsEmpty) return packets;
        var chunks = SetWatchesChunker.Chunk(snapshot, LastZxid, _options.PacketBytesMax);
        ClientLog.SettingWatches(_log, Watches.Count, chunks.Count);
        foreach (var chunk in chunks)
            packets.Add(new ControlPacket(PacketKind.SetWatches, OpCode.SetWatches2, PendingRequest.BuildFrame(OpCode.SetWatches2, chunk), Chroot));
        return packets;
    }

    public void OnFrame(ReadOnlySpan<byte> frame)
    {
        var reader = new JuteReader(frame);
        var header = ReplyHeader.Read(ref reader);
        switch (header.Xid)
        {
            case Xids.Notification:
                OnNotification(WatcherEvent.Read(ref reader));
                return;
            case Xids.Ping:
                return;
            case Xids.Auth:
                OnAuthReply(header, reader.Rest);
                return;
            case Xids.SetWatches:
                if (header.Err != 0) ClientLog.SetWatchesFailed(_log, ((ErrorCode)header.Err).ToString());
                if (Interlocked.Decrement(ref _setWatchesOutstanding) == 0) EnterConnected();
                return;
        }
        var request = Queue.TakeReply(header.Xid);
        if (request is null)
        {
            string detail = $"reply xid {header.Xid} does not match the oldest request in flight";
            ClientLog.ProtocolViolation(_log, CurrentServer?.ToString() ?? "?", detail);
            throw new JuteException(detail);
        }
        if (header.Zxid > 0) Volatile.Write(ref _lastZxid, header.Zxid);
        // Record the watch before anything later is read, so an event right behind this reply finds it.
        request.Watch?.OnReply(Watches, (ErrorCode)header.Err);
        request.Complete(header, reader.Rest);
    }

    private void OnNotification(WatcherEvent e)
    {
        var type = (EventType)e.Type;
        string path = Chroot.ToClient(e.Path);
        if (type == EventType.None) return;
        Dispatcher.Post(new WatchedEvent(type, (KeeperState)e.State, path), Watches.Trigger(type, path));
    }

    private void OnAuthReply(in ReplyHeader header, ReadOnlySpan<byte> body)
    {
        var request = Queue.TakeAuthReply();
        if (header.Err != 0)
        {
            // The server closes the connection next; forget the credentials so the reconnect does not fail again.
            if (request?.Auth is { } entry)
            {
                lock (_auth) _auth.Remove(entry);
                ClientLog.AuthFailed(_log, entry.Scheme);
            }
            SetState(ConnectionState.AuthFailed);
        }
        request?.Complete(header, body);
    }

    private void SetState(ConnectionState state, bool isNewSession = false)
    {
        ConnectionStateChangedEventArgs args;
        TaskCompletionSource? connected = null;
        lock (_stateGate)
        {
            if ((_state == state && !isNewSession) || _state == ConnectionState.Closed) return;
            args = new ConnectionStateChangedEventArgs(state, _state, SessionId, isNewSession);
            _state = state;
            if (state.IsConnected()) connected = _connected;
            else if (_connected.Task.IsCompleted && state != ConnectionState.Closed)
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        Dispatcher.Post(() =>
        {
            try { _onStateChanged(args); }
            catch (Exception e) { ClientLog.CallbackFailed(_log, e); }
            // Waiters wake only after the handlers saw Connected, so a handler added before connecting never misses it,
            // and one added after WaitForConnectedAsync returns never sees a stale Connected.
            if (connected is null) return;
            lock (_stateGate)
            {
                if (ReferenceEquals(connected, _connected) && _state.IsConnected()) connected.TrySetResult();
            }
        });
    }

    /// <summary>Closes the session on the server (deleting its ephemeral nodes at once) when connected, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _closeRequested = true;
        long sessionId = SessionId;
        if (State.IsConnected())
        {
            var timeout = NegotiatedTimeout < CloseTimeoutMax ? NegotiatedTimeout : CloseTimeoutMax;
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await SubmitAsync(OpCode.CloseSession, null, null, Decoders.Empty, null, cts.Token).ConfigureAwait(false);
                ClientLog.Closed(_log, sessionId);
            }
            catch (Exception e) when (e is KeeperException or OperationCanceledException)
            {
                // Not answered in time: the server expires the session on its own.
            }
        }
        _stop.Cancel();
        _transport?.Abort();
        try { await _loop.WaitAsync(CloseTimeoutMax).ConfigureAwait(false); } catch (TimeoutException) { }
        Queue.Close(() => new ObjectDisposedException(nameof(CoordinatorClient)));
        Queue.FailInFlight(_ => new ObjectDisposedException(nameof(CoordinatorClient)));
        Queue.FailQueued(_ => new ObjectDisposedException(nameof(CoordinatorClient)));
        lock (_stateGate) _connected.TrySetException(new ObjectDisposedException(nameof(CoordinatorClient)));
        SetState(ConnectionState.Closed);
        await Dispatcher.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
