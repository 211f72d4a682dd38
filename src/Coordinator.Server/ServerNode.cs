// The standalone node: one loop that owns the tree, sessions and watches, and answers every request in arrival order.
using System.Diagnostics;
using System.Threading.Channels;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.Server.Configuration;
using Coordinator.Server.Sessions;
using Coordinator.StateMachine;
using Coordinator.StateMachine.Watches;
using Microsoft.Extensions.Logging;

namespace Coordinator.Server;

public sealed partial class ServerNode : IAsyncDisposable
{
    /// <summary>Commands waiting for the loop; network readers wait when it is full (back-pressure).</summary>
    public const int CommandQueueMax = 10_000;

    private readonly Channel<Command> _commands = Channel.CreateBounded<Command>(
        new BoundedChannelOptions(CommandQueueMax) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Dictionary<IClientConnection, ClientState> _clients = new();
    private readonly Dictionary<long, ClientState> _bySession = new();
    private readonly SessionTracker _sessions;
    private readonly Preprocessor _prep;
    private readonly ReadProcessor _reads;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private ITimer? _ticker;
    private long _nextSessionId;
    private long _lastContainerCheckMs;

    public ServerNode(ServerSettings settings, ILogger<ServerNode> log, TimeProvider? time = null)
    {
        Settings = settings;
        _log = log;
        _time = time ?? TimeProvider.System;
        Tree = new DataTree();
        _prep = new Preprocessor(Tree, new PrepSettings(settings.ExtendedTypesEnabled, settings.JuteMaxBufferBytes));
        _reads = new ReadProcessor(Tree);
        _sessions = new SessionTracker(settings.TickTimeMs);
        _nextSessionId = SessionIds.Initial(settings.ServerId, _time.GetUtcNow().ToUnixTimeMilliseconds());
        StartedAt = _time.GetUtcNow();
    }

    public ServerSettings Settings { get; }
    public DataTree Tree { get; }
    public ServerStats Stats { get; } = new();
    public DateTimeOffset StartedAt { get; }
    internal IReadOnlyCollection<ClientState> Clients => _clients.Values;
    public int SessionCount => _sessions.Count;
    public long LastZxid => Tree.LastProcessedZxid;
    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>How often containers and TTL nodes are checked for removal.</summary>
    public int ContainerCheckIntervalMs { get; init; } = 1000;

    public void Start()
    {
        _loop = Task.Factory.StartNew(RunAsync, TaskCreationOptions.LongRunning).Unwrap();
        var period = TimeSpan.FromMilliseconds(Math.Max(10, Settings.TickTimeMs / 2));
        _ticker = _time.CreateTimer(_ => _commands.Writer.TryWrite(new TickCommand()), null, period, period);
    }

    // ---- entry points for network threads ----

    public ValueTask ConnectAsync(IClientConnection c, ConnectRequest request, CancellationToken ct) =>
        _commands.Writer.WriteAsync(new ConnectCommand(c, request), ct);

    /// <summary>Decodes a packet on the caller's thread and queues it; throws JuteException for malformed bytes.</summary>
    public ValueTask PacketAsync(IClientConnection c, ReadOnlySpan<byte> packet, CancellationToken ct)
    {
        c.Stats.Received();
        return _commands.Writer.WriteAsync(PacketDecoder.Decode(c, packet), ct);
    }

    public void Disconnected(IClientConnection c) => _commands.Writer.TryWrite(new DisconnectCommand(c));

    /// <summary>Runs <paramref name="query"/> on the loop and returns its result (four-letter words, metrics).</summary>
    public async Task<T> QueryAsync<T>(Func<ServerNode, T> query, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _commands.Writer.WriteAsync(new QueryCommand(node =>
        {
            try { done.SetResult(query(node)); }
            catch (Exception e) { done.SetException(e); }
        }), ct);
        return await done.Task.WaitAsync(ct);
    }

    // ---- the loop ----

    private async Task RunAsync()
    {
        var reader = _commands.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                while (reader.TryRead(out var command))
                {
                    try
                    {
                        Handle(command);
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        LogCommandFailed(e, command.GetType().Name);
                        if (CommandConnection(command) is { } c) c.Close("internal error while handling its request");
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
    }

    private static IClientConnection? CommandConnection(Command c) => c switch
    {
        ConnectCommand x => x.Connection,
        RequestCommand x => x.Connection,
        AuthCommand x => x.Connection,
        SetWatchesCommand x => x.Connection,
        _ => null,
    };

    private void Handle(Command command)
    {
        switch (command)
        {
            case RequestCommand r: HandleRequest(r); break;
            case ConnectCommand c: HandleConnect(c); break;
            case AuthCommand a: HandleAuth(a); break;
            case SetWatchesCommand s: HandleSetWatches(s); break;
            case DisconnectCommand d: HandleDisconnect(d.Connection); break;
            case TickCommand: HandleTick(); break;
            case QueryCommand q: q.Run(this); break;
        }
    }

    private ClientState? Client(IClientConnection c) => _clients.GetValueOrDefault(c);

    private void Send(ClientState client, byte[] packet)
    {
        if (client.Connection.TrySend(packet))
        {
            client.Connection.Stats.Sent();
            Stats.PacketsSent++;
        }
        else Drop(client, "outbound queue full: the client does not read its responses");
    }

    private void Drop(ClientState client, string reason)
    {
        if (client.Closing) return;
        client.Closing = true;
        client.Connection.Close(reason);
    }

    /// <summary>Sends the watch events the last apply fired, before the response that observes the change.</summary>
    private void DeliverWatchEvents()
    {
        foreach (var e in Tree.Watches.DrainEvents())
        {
            if (!_bySession.TryGetValue(e.Watcher, out var client)) continue;
            var ev = new WatcherEvent((int)e.Type, (int)KeeperState.SyncConnected, e.Path);
            Send(client, Packets.Reply(new ReplyHeader(Xids.Notification, -1, 0), ev));
            Stats.WatchEventsSent++;
        }
    }

    private long NextZxid() => Tree.LastProcessedZxid + 1;

    /// <summary>Applies a txn built by the server itself or by Preprocess, then delivers the watch events it fired.</summary>
    private ProcessTxnResult Commit(long sessionId, int cxid, int type, Txn txn)
    {
        var header = new TxnHeader(sessionId, cxid, NextZxid(), NowMs, type);
        var result = Tree.Apply(header, txn);
        DeliverWatchEvents();
        return result;
    }

    // ---- sessions ----

    private void HandleConnect(ConnectCommand command)
    {
        var c = command.Connection;
        var request = command.Request;
        if (_clients.ContainsKey(c)) { c.Close("second connect request on one connection"); return; }
        var client = new ClientState(c);
        _clients[c] = client;
        if (request.LastZxidSeen > Tree.LastProcessedZxid)
        {
            LogRefusedZxid(c.RemoteAddress, request.LastZxidSeen, Tree.LastProcessedZxid);
            Drop(client, "client has seen a newer zxid than this server");
            return;
        }
        int timeout = Math.Clamp(request.TimeoutMs, Settings.MinSessionTimeoutMs, Settings.MaxSessionTimeoutMs);
        long sessionId = request.SessionId;
        if (sessionId == 0)
        {
            sessionId = _nextSessionId++;
            _sessions.Add(sessionId, timeout, NowMs);
            Commit(sessionId, 0, (int)OpCode.CreateSession, new CreateSessionTxn(timeout));
            LogSessionCreated(SessionIds.Hex(sessionId), timeout, c.RemoteAddress);
        }
        else if (!_sessions.Contains(sessionId) || !SessionPasswords.Matches(sessionId, request.Password))
        {
            // ZooKeeper answers an invalid or expired session with a zero timeout, which clients read as "expired".
            LogSessionRefused(SessionIds.Hex(sessionId), c.RemoteAddress);
            Send(client, Packets.Record(new ConnectResponse(0, 0, 0, new byte[Limits.SessionPasswordBytes], request.ReadOnly is null ? null : false)));
            Drop(client, "session expired or password wrong");
            return;
        }
        else
        {
            timeout = _sessions.TimeoutOf(sessionId);
            _sessions.Touch(sessionId, NowMs);
            if (_bySession.TryGetValue(sessionId, out var previous) && previous != client)
            {
                Unbind(previous);
                Drop(previous, "its session moved to a new connection");
            }
        }
        client.SessionId = sessionId;
        _bySession[sessionId] = client;
        c.Stats.SessionId = sessionId;
        c.Stats.TimeoutMs = timeout;
        var response = new ConnectResponse(0, timeout, sessionId, SessionPasswords.For(sessionId), request.ReadOnly is null ? null : false);
        Send(client, Packets.Record(response));
    }

    private void Unbind(ClientState client)
    {
        if (client.SessionId != 0 && _bySession.TryGetValue(client.SessionId, out var bound) && bound == client)
        {
            _bySession.Remove(client.SessionId);
            // ZooKeeper keeps watches per connection; a reconnecting client restores them with setWatches.
            Tree.Watches.RemoveWatcher(client.SessionId);
        }
    }

    private void HandleDisconnect(IClientConnection c)
    {
        if (!_clients.Remove(c, out var client)) return;
        Unbind(client);
    }

    private void HandleTick()
    {
        long now = NowMs;
        foreach (var sessionId in _sessions.TakeExpired(now))
        {
            LogSessionExpired(SessionIds.Hex(sessionId));
            CloseSession(sessionId, 0);
            if (_bySession.TryGetValue(sessionId, out var client))
            {
                Unbind(client);
                Drop(client, "session expired");
            }
        }
        if (now - _lastContainerCheckMs >= ContainerCheckIntervalMs)
        {
            _lastContainerCheckMs = now;
            RemoveEmptyContainersAndExpiredTtls(now);
        }
    }

    private ProcessTxnResult CloseSession(long sessionId, int cxid)
    {
        _sessions.Remove(sessionId);
        var paths = Tree.EphemeralsOf(sessionId).Order(StringComparer.Ordinal).ToList();
        return Commit(sessionId, cxid, (int)OpCode.CloseSession, new CloseSessionTxn(paths));
    }

    /// <summary>ZooKeeper's ContainerManager: empty containers that once had children, and TTL nodes unchanged for their TTL, go.</summary>
    private void RemoveEmptyContainersAndExpiredTtls(long nowMs)
    {
        var candidates = new List<string>();
        foreach (var path in Tree.Containers)
        {
            var node = Tree.GetNode(path)!;
            if (node.Children.Count == 0 && node.Cversion > 0) candidates.Add(path);
        }
        foreach (var path in Tree.Ttls)
        {
            var node = Tree.GetNode(path)!;
            if (node.Children.Count == 0 && nowMs - node.Mtime > EphemeralKinds.TtlOf(node.EphemeralOwner)) candidates.Add(path);
        }
        var system = new RequestSession(0, [new Id("super", "")]);
        foreach (var path in candidates)
        {
            var prep = _prep.Prep(system, new DeleteRequest(OpCode.DeleteContainer, path, -1));
            if (prep.Txn is not null) Commit(0, 0, prep.Type, prep.Txn);
        }
    }

    private void HandleAuth(AuthCommand command)
    {
        if (Client(command.Connection) is not { } client) return;
        var packet = command.Packet;
        if (packet.Scheme == StateMachine.Security.DigestAuth.Scheme)
        {
            string digest = StateMachine.Security.DigestAuth.Generate(System.Text.Encoding.UTF8.GetString(packet.Auth));
            if (Settings.SuperDigest is { } super && digest == super) client.Auth.Add(new Id("super", ""));
            var id = new Id(StateMachine.Security.DigestAuth.Scheme, digest);
            if (!client.Auth.Contains(id)) client.Auth.Add(id);
            Send(client, Packets.Reply(new ReplyHeader(Xids.Auth, 0, 0), null));
            return;
        }
        LogAuthFailed(packet.Scheme, command.Connection.RemoteAddress);
        Send(client, Packets.Reply(new ReplyHeader(Xids.Auth, 0, (int)ErrorCode.AuthFailed), null));
        Drop(client, $"authentication failed for scheme '{packet.Scheme}'");
    }

    /// <summary>Restores a reconnecting client's watches, firing at once those whose node changed since the client's zxid.</summary>
    private void HandleSetWatches(SetWatchesCommand command)
    {
        if (Client(command.Connection) is not { SessionId: not 0 } client) return;
        var w = command.Watches;
        long rel = w.RelativeZxid, session = client.SessionId;
        var watches = Tree.Watches;
        foreach (var path in w.DataWatches)
        {
            var node = Tree.GetNode(path);
            if (node is null) watches.AddEvent(new WatchEvent(session, EventType.NodeDeleted, path));
            else if (node.Mzxid > rel) watches.AddEvent(new WatchEvent(session, EventType.NodeDataChanged, path));
            else watches.AddDataWatch(path, session);
        }
        foreach (var path in w.ExistWatches)
        {
            if (Tree.GetNode(path) is not null) watches.AddEvent(new WatchEvent(session, EventType.NodeCreated, path));
            else watches.AddDataWatch(path, session);
        }
        foreach (var path in w.ChildWatches)
        {
            var node = Tree.GetNode(path);
            if (node is null) watches.AddEvent(new WatchEvent(session, EventType.NodeDeleted, path));
            else if (node.Pzxid > rel) watches.AddEvent(new WatchEvent(session, EventType.NodeChildrenChanged, path));
            else watches.AddChildWatch(path, session);
        }
        foreach (var path in w.PersistentWatches) watches.AddPersistentWatch(path, session, recursive: false);
        foreach (var path in w.PersistentRecursiveWatches) watches.AddPersistentWatch(path, session, recursive: true);
        DeliverWatchEvents();
        Send(client, Packets.Reply(new ReplyHeader(Xids.SetWatches, Tree.LastProcessedZxid, 0), null));
    }

    // ---- requests ----

    private void HandleRequest(RequestCommand command)
    {
        if (Client(command.Connection) is not { SessionId: not 0, Closing: false } client) return;
        var header = command.Header;
        var op = (OpCode)header.Type;
        _sessions.Touch(client.SessionId, NowMs);
        Stats.PacketsReceived++;

        ErrorCode err;
        IRecord? body = null;
        long zxid = Tree.LastProcessedZxid;
        switch (command.Request)
        {
            case null:
                LogUnknownOpcode(header.Type, command.Connection.RemoteAddress);
                err = ErrorCode.Unimplemented;
                break;
            case EmptyRequest { Op: OpCode.Ping }:
                Send(client, Packets.Reply(new ReplyHeader(Xids.Ping, zxid, 0), null));
                return;
            case EmptyRequest { Op: OpCode.CloseSession }:
                zxid = CloseSession(client.SessionId, header.Xid).Zxid;
                Unbind(client);
                Send(client, Packets.Reply(new ReplyHeader(header.Xid, zxid, 0), null));
                Drop(client, "client closed its session");
                return;
            case ReconfigRequest:
                err = ErrorCode.ReconfigDisabled;
                break;
            case var request when ReadProcessor.IsRead(op):
                (err, body) = _reads.Execute(client.Session, request);
                break;
            case var request:
                (err, body, zxid) = Write(client, header, request);
                break;
        }
        Send(client, Packets.Reply(new ReplyHeader(header.Xid, zxid, (int)err), err == ErrorCode.Ok || op == OpCode.Multi ? body : null));
        RecordLatency(command, op, zxid);
    }

    private (ErrorCode, IRecord?, long) Write(ClientState client, RequestHeader header, Request request)
    {
        var prep = _prep.Prep(client.Session, request);
        if (prep.Txn is null) return (prep.Err, null, Tree.LastProcessedZxid);
        var result = Commit(client.SessionId, header.Xid, prep.Type, prep.Txn);
        if (request is MultiRequest) return (ErrorCode.Ok, Responses.Multi(result), result.Zxid);
        return (result.Err, result.Err == ErrorCode.Ok ? Responses.For(request.Op, result) : null, result.Zxid);
    }

    private void RecordLatency(RequestCommand command, OpCode op, long zxid)
    {
        long ms = (long)Stopwatch.GetElapsedTime(command.ReceivedTicks).TotalMilliseconds;
        var s = command.Connection.Stats;
        s.LastCxid = command.Header.Xid;
        s.LastZxid = zxid;
        s.LastOperation = Responses.ShortName(op);
        s.LastLatencyMs = ms;
        s.MinLatencyMs = Math.Min(s.MinLatencyMs, ms);
        s.MaxLatencyMs = Math.Max(s.MaxLatencyMs, ms);
        s.TotalLatencyMs += ms;
        s.RequestCount++;
        s.LastResponseAt = _time.GetUtcNow();
        Stats.Record(ms);
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Session {SessionId} created, timeout {TimeoutMs} ms, client {Client}")]
    private partial void LogSessionCreated(string sessionId, int timeoutMs, string client);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Session {SessionId} expired")]
    private partial void LogSessionExpired(string sessionId);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Refused reconnect to session {SessionId} from {Client}: expired, unknown or wrong password")]
    private partial void LogSessionRefused(string sessionId, string client);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Refused client {Client}: it has seen zxid 0x{ClientZxid:x}, ours is 0x{OurZxid:x}")]
    private partial void LogRefusedZxid(string client, long clientZxid, long ourZxid);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "Authentication failed for scheme {Scheme} from {Client}")]
    private partial void LogAuthFailed(string scheme, string client);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Unknown opcode {Op} from {Client}: answered Unimplemented")]
    private partial void LogUnknownOpcode(int op, string client);

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Handling {Command} failed; closing its connection")]
    private partial void LogCommandFailed(Exception e, string command);

    public async ValueTask DisposeAsync()
    {
        _ticker?.Dispose();
        _commands.Writer.TryComplete();
        _stop.Cancel();
        if (_loop is not null)
        {
            try { await _loop; } catch (OperationCanceledException) { }
        }
        _stop.Dispose();
    }

    // ---- read-only views for the four-letter words (FourLetterWords/) ----

    /// <summary>Commands waiting for the loop; stat and mntr report it as outstanding requests.</summary>
    public int QueuedCommandCount => _commands.Reader.Count;

    /// <summary>The node's clock, so uptime and dump read the same time the loop uses.</summary>
    public TimeProvider Time => _time;

    /// <summary>Every live session and the tick-rounded time (unix ms) it expires unless touched; read on the loop.</summary>
    internal IEnumerable<(long SessionId, long DeadlineMs)> SessionDeadlines => _sessions.Deadlines;
}
