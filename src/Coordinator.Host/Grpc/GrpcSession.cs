// A gRPC session as the server loop sees it: a virtual client connection that speaks jute packets, like a TCP client.
using System.Collections.Concurrent;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.Server;
using Coordinator.Server.Changes;

namespace Coordinator.Host.Grpc;

/// <summary>One reply packet (after its 4-byte length) and where its body starts.</summary>
internal sealed record Reply(ReplyHeader Header, byte[] Packet, int BodyOffset)
{
    public ErrorCode Err => (ErrorCode)Header.Err;

    public JuteReader Body() => new(Packet.AsSpan(BodyOffset));
}

/// <summary>
/// "One system, two doors": gRPC calls become the same jute requests a ZooKeeper client sends, through the
/// server's own entry points (<see cref="ServerNode.ConnectAsync"/>, <see cref="ServerNode.PacketAsync"/>), so
/// ACLs, ordering, errors and ephemeral ownership are the wire protocol's. Replies come back through
/// <see cref="TrySend"/> on the loop and complete the waiting call by xid. Many gRPC calls may use one session
/// at once; each gets its own xid.
/// </summary>
internal sealed class GrpcSession : IClientConnection
{
    /// <summary>gRPC sessions number their connections apart from TCP ones, so cons never shows one id twice.</summary>
    private static long _nextId = 1L << 40;

    private readonly ServerNode _server;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<Reply>> _pending = new();
    private readonly ConcurrentQueue<TaskCompletionSource<Reply>> _pings = new();
    private readonly ConcurrentQueue<TaskCompletionSource<Reply>> _auths = new();
    private readonly TaskCompletionSource<ConnectResponse> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<ChangeSubscription, byte> _watches = new();
    private readonly Action<GrpcSession> _onClosed;
    private int _nextXid;
    private int _closed;

    public GrpcSession(ServerNode server, string remoteAddress, int remotePort, Action<GrpcSession> onClosed)
    {
        _server = server;
        RemoteAddress = remoteAddress;
        RemotePort = remotePort;
        _onClosed = onClosed;
        ConnectionId = Interlocked.Increment(ref _nextId);
    }

    public long ConnectionId { get; }
    public string RemoteAddress { get; }
    public int RemotePort { get; }
    public ConnectionStats Stats { get; } = new();
    public long SessionId { get; private set; }

    /// <summary>Why the server closed this session's connection (expired, closed, ...); null while open.</summary>
    public string? ClosedReason { get; private set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Opens a new session with the requested timeout; the server clamps it and answers once the session is durable.</summary>
    public async Task<ConnectResponse> ConnectAsync(int timeoutMs, CancellationToken ct)
    {
        await _server.ConnectAsync(this, new ConnectRequest(0, 0, timeoutMs, 0, new byte[Limits.SessionPasswordBytes], false), ct);
        var response = await _connected.Task.WaitAsync(ct);
        SessionId = response.SessionId;
        return response;
    }

    /// <summary>Sends one request and waits for its reply. Cancelling stops the wait, not the request (as a lost connection).</summary>
    public async Task<Reply> CallAsync(OpCode op, IRecord? body, CancellationToken ct)
    {
        var done = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        int xid = op switch
        {
            OpCode.Ping => Xids.Ping,
            OpCode.Auth => Xids.Auth,
            _ => Interlocked.Increment(ref _nextXid) & int.MaxValue,
        };
        if (op == OpCode.Ping) _pings.Enqueue(done);
        else if (op == OpCode.Auth) _auths.Enqueue(done);
        else _pending[xid] = done;
        if (IsClosed) FailAll();
        var w = new JuteWriter(64);
        new RequestHeader(xid, (int)op).Write(w);
        body?.Write(w);
        if (w.WrittenSpan.Length > _server.Settings.JuteMaxBufferBytes)
        {
            _pending.TryRemove(xid, out _);
            throw new GrpcException(GrpcCode.InvalidArgument,
                $"the request is {w.WrittenSpan.Length} bytes, larger than jute.maxbuffer ({_server.Settings.JuteMaxBufferBytes})", ErrorCode.BadArguments);
        }
        await _server.PacketAsync(this, w.WrittenSpan.ToArray(), ct);
        try
        {
            return await done.Task.WaitAsync(ct);
        }
        finally
        {
            if (op is not (OpCode.Ping or OpCode.Auth)) _pending.TryRemove(xid, out _);
        }
    }

    /// <summary>Ends this watch stream when the session ends.</summary>
    public void Track(ChangeSubscription watch)
    {
        _watches[watch] = 0;
        if (IsClosed) watch.End();
    }

    public void Untrack(ChangeSubscription watch) => _watches.TryRemove(watch, out _);

    /// <summary>On the loop: a reply or notification for this session. Never blocks.</summary>
    public bool TrySend(ReadOnlyMemory<byte> framedPacket)
    {
        if (IsClosed) return false;
        byte[] packet = framedPacket.Span[4..].ToArray();
        Packets.Return(framedPacket);
        if (!_connected.Task.IsCompleted)
        {
            var r = new JuteReader(packet);
            _connected.TrySetResult(ConnectResponse.Read(ref r));
            return true;
        }
        var reader = new JuteReader(packet);
        var header = ReplyHeader.Read(ref reader);
        var reply = new Reply(header, packet, reader.Position);
        TaskCompletionSource<Reply>? waiting = header.Xid switch
        {
            Xids.Ping => _pings.TryDequeue(out var p) ? p : null,
            Xids.Auth => _auths.TryDequeue(out var a) ? a : null,
            // No jute watches are ever set on a gRPC session; watch streams read the change window instead.
            Xids.Notification => null,
            _ => _pending.TryRemove(header.Xid, out var c) ? c : null,
        };
        waiting?.TrySetResult(reply);
        return true;
    }

    /// <summary>Called by the loop when the session ends (closed, expired, moved) or the server refuses it.</summary>
    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        ClosedReason = reason;
        FailAll();
        foreach (var watch in _watches.Keys) watch.End();
        // Disconnected posts to the loop, which may be the caller: never wait for it here.
        _ = Task.Run(() => _server.Disconnected(this));
        _onClosed(this);
    }

    private void FailAll()
    {
        var error = Closed();
        _connected.TrySetException(error);
        foreach (var xid in _pending.Keys)
            if (_pending.TryRemove(xid, out var c)) c.TrySetException(error);
        while (_pings.TryDequeue(out var p)) p.TrySetException(error);
        while (_auths.TryDequeue(out var a)) a.TrySetException(error);
    }

    public GrpcException Closed() => GrpcException.FromZooKeeper(ErrorCode.SessionExpired,
        $"session {SessionIds.Hex(SessionId)} has ended ({ClosedReason ?? "closed"})");

    /// <summary>The endpoint is stopping: the session stays on the server until it expires, as after a dropped TCP client.</summary>
    public void Detach()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        ClosedReason = "the gRPC endpoint stopped";
        FailAll();
        foreach (var watch in _watches.Keys) watch.End();
        _server.Disconnected(this);
    }
}
