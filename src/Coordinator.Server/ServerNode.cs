// The standalone node: one loop that owns the tree, sessions and watches, and answers each session's requests in order.
using System.Diagnostics;
using System.Threading.Channels;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.Server.Changes;
using Coordinator.Server.Configuration;
using Coordinator.Server.Pipeline;
using Coordinator.Server.Replication;
using Coordinator.Server.Sessions;
using Coordinator.StateMachine;
using Coordinator.StateMachine.Watches;
using Microsoft.Extensions.Logging;

namespace Coordinator.Server;

/// <remarks>
/// Network threads decode packets and post commands; this loop is the only code that touches server state
/// (DESIGN.md habit 4). Reads are answered from the tree at once unless the session has an earlier write still
/// on its way to disk; writes are prepared, logged by the <see cref="LogFlusher"/> and applied by the
/// <see cref="CommitPipeline"/> when durable, and only then answered. Watch events an apply fires are sent
/// before the reply of the request that caused them and before any later reply that observes the change.
/// </remarks>
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
    private readonly LogFlusher _flusher;
    private readonly ICommitLog _pipeline;

    /// <summary>ZAB and the peer links when this node is in an ensemble; null when standalone.</summary>
    private readonly Replica? _replica;
    private readonly IPeerNetwork? _network;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private ITimer? _ticker;
    private long _nextSessionId;
    private long _lastContainerCheckMs;
    private readonly SnapshotSchedule? _snapshots;

    /// <param name="txnLog">Where txns are made durable before they are applied; none keeps nothing (tests).</param>
    /// <param name="initialTree">The tree recovered from disk, with its sessions; a fresh tree when null.</param>
    /// <param name="snapshotter">Takes a snapshot every snapCount txns or so; none takes none.</param>
    /// <param name="replication">Set for a member of an ensemble (server.N lines): its peer links and durable ZAB state.</param>
    public ServerNode(ServerSettings settings, ILogger<ServerNode> log, TimeProvider? time = null, ITxnLog? txnLog = null,
        DataTree? initialTree = null, ISnapshotter? snapshotter = null, Random? random = null, ReplicationSetup? replication = null)
    {
        Settings = settings;
        _log = log;
        _time = time ?? TimeProvider.System;
        Tree = initialTree ?? new DataTree();
        _snapshots = snapshotter is null ? null : new SnapshotSchedule(snapshotter, settings.SnapCount, random ?? new Random());
        _prep = new Preprocessor(Tree, new PrepSettings(settings.ExtendedTypesEnabled, settings.JuteMaxBufferBytes,
            settings.EnforceQuota, w => LogQuotaExceeded(_log, w.QuotaPath, w.Kind, w.Value, w.Limit)));
        _reads = new ReadProcessor(Tree);
        Tree.Watches.MayRead = (session, acl) =>
            _bySession.TryGetValue(session, out var c) && StateMachine.Security.AclCheck.IsAllowed(acl, Perms.Read, c.Auth);
        Changes = new ChangeWindow(settings.GrpcPort is null ? 0 : settings.GrpcWatchWindow, Tree.LastProcessedZxid, Tree.Watches.MayRead);
        // Only the gRPC API reads the window; without it nothing is recorded.
        if (settings.GrpcPort is not null) Tree.Changed = Changes.Record;
        _sessions = new SessionTracker(settings.TickTimeMs);
        // Never blocking: the loop may be waiting for the flusher (replication steps); ticks catch a dropped report.
        _flusher = new LogFlusher(txnLog ?? NullTxnLog.Instance,
            durable: zxid => _commands.Writer.TryWrite(new DurableCommand(zxid)),
            failed: e => _commands.Writer.TryWrite(new LogFailedCommand(e)),
            syncedMs: ms =>
            {
                Stats.Metrics.FsyncTime.Record(ms);
                Stats.Fsyncs.Record(ms);
            });
        if (replication is null)
        {
            _pipeline = new CommitPipeline(Tree, _prep, _flusher, AfterApply);
            // Recovered sessions get a full timeout from now to reconnect, as in ZooKeeper after a restart.
            foreach (var (sessionId, timeoutMs) in Tree.Sessions) _sessions.Add(sessionId, timeoutMs, NowMs);
        }
        else
        {
            _network = replication.Network;
            _replica = CreateReplica(replication, log);
            _pipeline = _replica;
        }
        _nextSessionId = SessionIds.Initial(settings.ServerId, _time.GetUtcNow().ToUnixTimeMilliseconds());
        StartedAt = _time.GetUtcNow();
    }

    public ServerSettings Settings { get; }
    public DataTree Tree { get; }
    public ServerStats Stats { get; } = new();

    /// <summary>Recent committed changes and the live watch streams fed from them; touch it only on the loop (QueryAsync).</summary>
    public ChangeWindow Changes { get; }
    public DateTimeOffset StartedAt { get; }
    internal IReadOnlyCollection<ClientState> Clients => _clients.Values;
    /// <summary>Live sessions: the ensemble's (the tree's table) on a member, the tracked ones when standalone.</summary>
    public int SessionCount => _replica is null ? _sessions.Count : Tree.Sessions.Count;
    public long LastZxid => Tree.LastProcessedZxid;

    /// <summary>The last zxid in this node's log: in an ensemble it may be ahead of <see cref="LastZxid"/> (proposals not yet committed).</summary>
    public long LoggedZxid => _replica?.LastZxid ?? LastZxid;

    /// <summary>Writes logged or waiting for the log, not yet applied.</summary>
    public int UncommittedCount => _pipeline.Uncommitted;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>How often containers and TTL nodes are checked for removal.</summary>
    public int ContainerCheckIntervalMs { get; init; } = 1000;

    public void Start()
    {
        _flusher.Start();
        if (_replica is not null)
        {
            // The core starts on the loop (its first election's votes go out from there), before any peer message.
            _commands.Writer.TryWrite(new QueryCommand(_ => _replica.Start()));
            _network!.Start(ReceiveFromPeer, id => Post(new PeerLostCommand(id)));
        }
        _loop = Task.Factory.StartNew(RunAsync, TaskCreationOptions.LongRunning).Unwrap();
        var period = TimeSpan.FromMilliseconds(_replica is null ? Math.Max(10, Settings.TickTimeMs / 2) : ZabTickMs(Settings));
        _ticker = _time.CreateTimer(_ => _commands.Writer.TryWrite(new TickCommand()), null, period, period);
    }

    // ---- entry points for other threads ----

    public ValueTask ConnectAsync(IClientConnection c, ConnectRequest request, CancellationToken ct) =>
        _commands.Writer.WriteAsync(new ConnectCommand(c, request), ct);

    /// <summary>Decodes a packet on the caller's thread and queues it; throws JuteException for malformed bytes.</summary>
    public ValueTask PacketAsync(IClientConnection c, ReadOnlySpan<byte> packet, CancellationToken ct)
    {
        c.Stats.Received();
        return _commands.Writer.WriteAsync(PacketDecoder.Decode(c, packet), ct);
    }

    public void Disconnected(IClientConnection c) => Post(new DisconnectCommand(c));

    /// <summary>
    /// Queues a command that must not be lost, waiting while the loop's queue is full (never called by the loop). The
    /// caller may be a socket event thread: the loop never waits on a socket, so the wait ends as the loop drains.
    /// </summary>
    private void Post(Command command)
    {
        if (!_commands.Writer.TryWrite(command))
        {
            try { _commands.Writer.WriteAsync(command, _stop.Token).AsTask().Wait(); }
            // A node that is stopping drops what still arrives (peer frames can come in until the host closes the links).
            catch (Exception e) when (e is OperationCanceledException or AggregateException or ChannelClosedException or ObjectDisposedException) { }
        }
    }

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
            case DurableCommand d: HandleDurable(d.Zxid); break;
            case ConnectCommand c: HandleConnect(c); break;
            case AuthCommand a: HandleAuth(a); break;
            case SetWatchesCommand s: HandleSetWatches(s); break;
            case DisconnectCommand d: HandleDisconnect(d.Connection); break;
            case TickCommand: HandleTick(); break;
            case SnapshotShareCommand: _snapshots?.Continue(); break;
            case QueryCommand q: q.Run(this); break;
            case LogFailedCommand f: HandleLogFailed(f.Error); break;
            case PeerCommand p: _replica?.Step(p.From, p.Message); break;
            case ForwardCommand f: HandleForwardMessage(f.From, f.Message); break;
            case PeerLostCommand l: _replica?.PeerLost(l.Peer); break;
        }
    }

    private ClientState? Client(IClientConnection c) => _clients.GetValueOrDefault(c);

    /// <summary>Hands a packet from <see cref="Packets"/> to the connection, which returns it to the pool once written.</summary>
    private void Send(ClientState client, ReadOnlyMemory<byte> packet)
    {
        if (client.Connection.TrySend(packet))
        {
            client.Connection.Stats.Sent();
            Stats.PacketsSent++;
            return;
        }
        Packets.Return(packet);
        Drop(client, "outbound queue full: the client does not read its responses");
    }

    /// <summary>Sends a reply now, or after the replies this connection is still waiting for.</summary>
    private void Reply(ClientState client, ReadOnlyMemory<byte> packet)
    {
        if (client.Replies.Count == 0) Send(client, packet);
        else client.Replies.Enqueue(new ReplySlot { Packet = packet });
    }

    /// <summary>Sends the connection's replies that are ready, in order, answering deferred reads as they come up.</summary>
    private void Pump(ClientState client)
    {
        while (client.Replies.TryPeek(out var head))
        {
            if (head.Packet is { } packet)
            {
                client.Replies.Dequeue();
                Send(client, packet);
                head.AfterSend?.Invoke();
            }
            else if (head.DeferredRead is { } read)
            {
                client.Replies.Dequeue();
                Send(client, AnswerRead(client, read));
            }
            else return;
        }
    }

    private void Drop(ClientState client, string reason)
    {
        if (client.Closing) return;
        client.Closing = true;
        client.Connection.Close(reason);
    }

    private void AfterApply()
    {
        DeliverWatchEvents();
        if (_snapshots is null) return;
        _snapshots.Applied();
        TakeSnapshotIfDue();
    }

    /// <summary>
    /// Starts a snapshot that is due (see <see cref="SnapshotSchedule"/>). Its shares are taken between other
    /// commands: the snapshotter asks for each one with a <see cref="SnapshotShareCommand"/>.
    /// </summary>
    private void TakeSnapshotIfDue()
    {
        if (_snapshots?.StartIfDue(Tree, WakeForSnapshot) != true) return;
        // Txns after this one start a new log file, so old files can be purged once newer snapshots exist.
        _flusher.RequestRoll();
    }

    private void WakeForSnapshot() => _commands.Writer.TryWrite(SnapshotShareCommand.Instance);

    /// <summary>Sends the watch events the last apply fired, before the response that observes the change.</summary>
    private void DeliverWatchEvents()
    {
        var events = Tree.Watches.DrainEvents();
        for (int i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (!_bySession.TryGetValue(e.Watcher, out var client)) continue;
            var ev = new WatcherEvent((int)e.Type, (int)KeeperState.SyncConnected, e.Path);
            Send(client, Packets.Reply(new ReplyHeader(Xids.Notification, -1, 0), ev));
            Stats.WatchEventsSent++;
        }
    }

    /// <summary>Hands a prepared txn to the pipeline; the completion runs on the loop once the txn is durable and applied.</summary>
    private void Propose(long sessionId, int cxid, int type, Txn txn, Action<ProcessTxnResult>? onApplied)
    {
        // Callers check CanPropose first, so the queue has room; a refusal means the flusher has just failed and
        // its LogFailedCommand is still on the way: handle it now.
        if (!_pipeline.Propose(sessionId, cxid, type, NowMs, txn, onApplied))
            HandleLogFailed(new IOException($"the log refused txn 0x{_pipeline.NextZxid:x}: it has stopped"));
    }

    /// <summary>
    /// False while the log has failed or is full (or, on a leader, ZAB takes no proposal now): writes then get an
    /// error instead of a zxid. A learner forwards writes, so only its own log failing stops them.
    /// </summary>
    private bool CanPropose => !LogFailed && (_replica is { IsLearner: true } || !_pipeline.IsFull);

    /// <summary>Why the transaction log stopped (disk full, fsync failed), or null while it works. Read on the loop.</summary>
    public string? LogFailure { get; private set; }

    private bool LogFailed => LogFailure is not null;

    /// <remarks>
    /// From now on the node is read-only until restart: nothing more is logged, so nothing more is applied or
    /// acknowledged, and the tree stays exactly what the disk holds. A client with a write in flight cannot be
    /// told whether it reached the disk, so it loses its connection (the answer ZooKeeper gives for an unknown
    /// outcome); every other client stays connected and keeps reading, and its writes get NotReadOnly.
    /// </remarks>
    private void HandleLogFailed(Exception e)
    {
        if (LogFailed) return;
        LogFailure = e.Message;
        LogTxnLogFailed(e);
        foreach (var client in _clients.Values.Where(c => c.Replies.Count > 0).ToList())
            Drop(client, "the transaction log failed with its write in flight");
    }

    // ---- requests ----

    private void HandleRequest(RequestCommand command)
    {
        if (Client(command.Connection) is not { SessionId: not 0, Closing: false, CloseRequested: false } client) return;
        var header = command.Header;
        TouchSession(client.SessionId);
        Stats.PacketsReceived++;
        switch (command.Request)
        {
            case null:
                LogUnknownOpcode(header.Type, command.Connection.RemoteAddress);
                ReplyError(client, command, ErrorCode.Unimplemented);
                return;
            case EmptyRequest { Op: OpCode.Ping }:
                // Pings skip the queue: they carry no data and the client matches them by xid -2.
                Send(client, Packets.Reply(new ReplyHeader(Xids.Ping, Tree.LastProcessedZxid, 0), null));
                return;
            case EmptyRequest { Op: OpCode.CloseSession }:
                HandleCloseSession(client, command);
                return;
            case ReconfigRequest:
                ReplyError(client, command, ErrorCode.ReconfigDisabled);
                return;
            case UndecodableRequest bad:
                LogUndecodable((OpCode)header.Type, command.Connection.RemoteAddress, bad.Reason);
                ReplyError(client, command, ErrorCode.MarshallingError);
                return;
            case PathRequest { Op: OpCode.Sync } when _replica is not null:
                HandleSync(client, command);
                return;
            case var request when ReadProcessor.IsRead(request.Op):
                if (client.Replies.Count == 0) Send(client, AnswerRead(client, command));
                else client.Replies.Enqueue(new ReplySlot { DeferredRead = command });
                return;
            case var request when _replica is { IsLearner: true }:
                ForwardWrite(client, command, request);
                return;
            case var request:
                HandleWrite(client, command, request);
                return;
        }
    }

    private ReadOnlyMemory<byte> AnswerRead(ClientState client, RequestCommand command)
    {
        var (err, body) = _reads.Execute(client.Session, command.Request!);
        RecordLatency(command, Tree.LastProcessedZxid);
        return Packets.Reply(new ReplyHeader(command.Header.Xid, Tree.LastProcessedZxid, (int)err), err == ErrorCode.Ok ? body : null);
    }

    private void ReplyError(ClientState client, RequestCommand command, ErrorCode err)
    {
        RecordLatency(command, Tree.LastProcessedZxid);
        Reply(client, Packets.Reply(new ReplyHeader(command.Header.Xid, Tree.LastProcessedZxid, (int)err), null));
    }

    private void HandleWrite(ClientState client, RequestCommand command, Request request)
    {
        if (!CanPropose)
        {
            ReplyError(client, command, LogFailed ? ErrorCode.NotReadOnly : ErrorCode.Throttled);
            return;
        }
        var prep = _prep.PrepOutstanding(client.Session, request, _pipeline.NextZxid);
        if (prep.Txn is null)
        {
            ReplyError(client, command, prep.Err);
            return;
        }
        var slot = new ReplySlot();
        client.Replies.Enqueue(slot);
        Propose(client.SessionId, command.Header.Xid, prep.Type, prep.Txn, result => Answer(client, slot, command, request, result));
    }

    /// <summary>Fills a write's reply slot from its applied txn and sends what is ready.</summary>
    private void Answer(ClientState client, ReplySlot slot, RequestCommand command, Request request, ProcessTxnResult result)
    {
        IRecord? body = request is MultiRequest ? Responses.Multi(result)
            : result.Err == ErrorCode.Ok ? Responses.For(request.Op, result) : null;
        int err = request is MultiRequest ? 0 : (int)result.Err;
        slot.Packet = Packets.Reply(new ReplyHeader(command.Header.Xid, result.Zxid, err), body);
        RecordLatency(command, result.Zxid);
        Pump(client);
    }

    private void RecordLatency(RequestCommand command, long zxid)
    {
        long ms = (long)Stopwatch.GetElapsedTime(command.ReceivedTicks).TotalMilliseconds;
        var s = command.Connection.Stats;
        s.LastCxid = command.Header.Xid;
        s.LastZxid = zxid;
        s.LastOperation = Responses.ShortName((OpCode)command.Header.Type);
        s.LastLatencyMs = ms;
        s.MinLatencyMs = Math.Min(s.MinLatencyMs, ms);
        s.MaxLatencyMs = Math.Max(s.MaxLatencyMs, ms);
        s.TotalLatencyMs += ms;
        s.RequestCount++;
        s.LastResponseAt = _time.GetUtcNow();
        Stats.Record(ms, (OpCode)command.Header.Type);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Handling {Command} failed; closing its connection")]
    private partial void LogCommandFailed(Exception e, string command);

    [LoggerMessage(EventId = 109, Level = LogLevel.Warning, Message = "Quota exceeded: {QuotaPath} [{Kind}: {Value} > {Limit}]")]
    private static partial void LogQuotaExceeded(ILogger logger, string quotaPath, string kind, long value, long limit);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Unknown opcode {Op} from {Client}: answered Unimplemented")]
    private partial void LogUnknownOpcode(int op, string client);

    [LoggerMessage(EventId = 108, Level = LogLevel.Warning, Message = "Undecodable {Op} request from {Client}: {Reason}; answered MarshallingError")]
    private partial void LogUndecodable(OpCode op, string client, string reason);

    [LoggerMessage(EventId = 107, Level = LogLevel.Critical, Message = "The transaction log failed; this node is read-only until restart (writes get NotReadOnly)")]
    private partial void LogTxnLogFailed(Exception e);

    /// <remarks>
    /// The loop stops first, so nothing is prepared for a log that is closing; writes still waiting for the log
    /// are never answered, which their clients see as a lost connection (nothing unacknowledged is promised).
    /// </remarks>
    public async ValueTask DisposeAsync()
    {
        _ticker?.Dispose();
        _commands.Writer.TryComplete();
        _stop.Cancel();
        if (_loop is not null)
        {
            try { await _loop; } catch (OperationCanceledException) { }
        }
        await _flusher.StopAsync();
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
