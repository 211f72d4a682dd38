// The server loop's ensemble side: hosting ZAB, forwarding client work to the leader, global sessions, sync.
using System.Buffers.Binary;
using Coordinator.Consensus;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.Server.Configuration;
using Coordinator.Server.Replication;
using Coordinator.StateMachine;
using Microsoft.Extensions.Logging;

namespace Coordinator.Server;

/// <remarks>
/// In an ensemble every node serves reads from its own tree and applies the txns ZAB commits, in zxid order.
/// Only the leader prepares txns: a learner (follower or observer) forwards each write, createSession and
/// closeSession with the client's identities, and answers its client when the txn carrying that session id and
/// cxid is applied here (or when the leader replies with an error). Sessions are global: every node knows them
/// from the tree's sessions table; the leader alone tracks their deadlines and expires them, and learners report
/// their clients' activity each tick. A node that is not serving (electing, syncing) refuses and drops clients,
/// as ZooKeeper does, so they move to a node that is.
/// </remarks>
public sealed partial class ServerNode
{
    /// <summary>A learner's forwarded request finished: applied (Result), refused (Err), or a sync's target zxid.</summary>
    private readonly record struct ForwardOutcome(ProcessTxnResult? Result, ErrorCode Err, long SyncZxid);

    /// <summary>Requests this learner forwarded, by (session, cxid), until their txn is applied or the leader refuses them.</summary>
    private readonly Dictionary<(long Session, int Cxid), Action<ForwardOutcome>> _forwarded = new();

    /// <summary>Syncs waiting for this node to apply up to a zxid, oldest first.</summary>
    private readonly List<(long Zxid, Action Done)> _syncWaits = new();

    /// <summary>Sessions active on this learner since its last report to the leader.</summary>
    private readonly HashSet<long> _touched = new();
    private long _lastTouchReportMs;
    private long _lastDurableSeen = -1;
    private long _lookingSince;

    /// <summary>What srvr, stat and mntr call this node's role: standalone, leader, follower, observer (or looking).</summary>
    public string Mode { get; private set; } = "standalone";

    /// <summary>True when this node may serve clients (always when standalone).</summary>
    public bool IsServing => _replica?.IsServing ?? true;

    /// <summary>The ZAB core when in an ensemble (read on the loop: monitoring's QueryAsync).</summary>
    public ZabPeer? Zab => _replica?.Peer;

    /// <summary>ZAB counts time in ticks of a tenth of tickTime, so an election settles in a fifth of a tick, as ZooKeeper's 200 ms finalize wait.</summary>
    internal static int ZabTickMs(ServerSettings settings) => Math.Max(10, settings.TickTimeMs / 10);

    private Replica CreateReplica(ReplicationSetup setup, ILogger log)
    {
        var voters = Settings.Peers.Where(p => !p.IsObserver).Select(p => p.Id);
        var observers = Settings.Peers.Where(p => p.IsObserver).Select(p => p.Id);
        const int ticksPerTick = 10;
        var zabSettings = new ZabSettings
        {
            InitLimitTicks = Settings.InitLimit * ticksPerTick,
            SyncLimitTicks = Settings.SyncLimit * ticksPerTick,
            ElectionRetryTicks = 2,
            // A handshake step can be a whole snapshot on the wire: give it half of initLimit before starting again.
            HandshakeRetryTicks = Math.Max(ticksPerTick, Settings.InitLimit * ticksPerTick / 2),
            OutstandingProposalsMax = Pipeline.LogFlusher.QueueTxnsMax / 2,
        };
        var durable = new DurableState(setup.AcceptedEpoch, setup.CurrentEpoch, new Zxid(setup.SnapshotZxid),
            setup.LogAfterSnapshot.Select(e => new LoggedTxn(new Zxid(e.Header.Zxid), TxnSerializer.Serialize(e))).ToList());
        Mode = "looking";
        // Handshake ids start from the start time in ms (2^20 handshakes per ms of uptime before they could repeat).
        long incarnation = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var peer = new ZabPeer(Settings.ServerId, new QuorumConfig(voters, observers), zabSettings, durable, incarnation);
        return new Replica(peer, setup.LogAfterSnapshot, setup.Network, setup.Storage, _flusher, Tree, _prep, AfterApply,
            OnReplicatedApply, OnRoleChanged, e => HandleLogFailed(e), log);
    }

    /// <summary>On a network thread: decodes a peer's frame and queues it for the loop; a malformed frame is logged and dropped.</summary>
    private void ReceiveFromPeer(long from, byte[] frame)
    {
        Command command;
        try
        {
            command = ForwardCodec.IsForwarding(frame)
                ? new ForwardCommand(from, ForwardCodec.Decode(frame))
                : new PeerCommand(from, PeerMessageCodec.Decode(frame));
        }
        catch (Exception e) when (e is JuteException or PeerMessageFormatException)
        {
            LogBadPeerFrame(from, frame.Length, e.Message);
            return;
        }
        Post(command);
    }

    /// <summary>Durable reports and a failure the flusher could not post (the queue was full) are picked up here.</summary>
    private void CatchUpWithFlusher()
    {
        if (_flusher.Failure is { } failure) HandleLogFailed(failure);
        long durable = _flusher.DurableZxid;
        if (durable > _lastDurableSeen) HandleDurable(durable);
    }

    private void HandleDurable(long zxid)
    {
        _lastDurableSeen = Math.Max(_lastDurableSeen, zxid);
        _pipeline.OnDurable(zxid);
    }

    private void TouchSession(long sessionId)
    {
        _sessions.Touch(sessionId, NowMs);
        if (_replica is { IsLearner: true }) _touched.Add(sessionId);
    }

    /// <summary>A session's timeout, or 0 when this node does not know it: the leader (and standalone) by its tracker, a learner by the tree.</summary>
    private int SessionTimeout(long sessionId) =>
        _replica is { IsLearner: true } ? Tree.Sessions.GetValueOrDefault(sessionId) : _sessions.TimeoutOf(sessionId);

    private void ReportTouches(long nowMs)
    {
        if (_touched.Count == 0 || nowMs - _lastTouchReportMs < Settings.TickTimeMs / 2 || _replica!.LeaderId is not { } leader) return;
        _lastTouchReportMs = nowMs;
        _network!.Send(leader, ForwardCodec.Encode(new SessionTouches(_touched.ToArray())));
        _touched.Clear();
    }

    // ---- learner: forwarding ----

    private void ForwardWrite(ClientState client, RequestCommand command, Request request)
    {
        var slot = new ReplySlot();
        client.Replies.Enqueue(slot);
        using var w = new JuteWriter();
        request.Write(w);
        Forward(client, client.SessionId, command.Header.Xid, request.Op, w.ToArray(), outcome =>
        {
            if (outcome.Result is { } result)
            {
                Answer(client, slot, command, request, result);
                return;
            }
            AnswerError(client, slot, command, outcome.Err);
        });
    }

    /// <summary>Fills a forwarded request's reply slot with the error the leader found, as ReplyError answers locally.</summary>
    private void AnswerError(ClientState client, ReplySlot slot, RequestCommand command, ErrorCode err)
    {
        RecordLatency(command, Tree.LastProcessedZxid);
        slot.Packet = Packets.Reply(new ReplyHeader(command.Header.Xid, Tree.LastProcessedZxid, (int)err), null);
        Pump(client);
    }

    /// <summary>
    /// Sends client work to the leader. A refusal that means the session or the leader is gone (expired,
    /// connection loss) also drops the client, which then reconnects or learns its session expired.
    /// </summary>
    private void Forward(ClientState client, long sessionId, int cxid, OpCode op, byte[] body, Action<ForwardOutcome> done)
    {
        if (_replica?.LeaderId is not { } leader)
        {
            Drop(client, "no leader to forward its request to");
            return;
        }
        _forwarded[(sessionId, cxid)] = outcome =>
        {
            done(outcome);
            if (outcome.Err is ErrorCode.SessionExpired or ErrorCode.ConnectionLoss)
                Drop(client, outcome.Err == ErrorCode.SessionExpired ? "session expired" : "the leader could not take its request");
        };
        _network!.Send(leader, ForwardCodec.Encode(new ForwardedRequest(sessionId, cxid, (int)op, client.Auth, body)));
    }

    private void HandleSync(ClientState client, RequestCommand command)
    {
        var slot = new ReplySlot();
        client.Replies.Enqueue(slot);
        void Synced()
        {
            slot.Packet = AnswerRead(client, command);
            Pump(client);
        }
        if (_replica!.IsLearner)
        {
            Forward(client, client.SessionId, command.Header.Xid, OpCode.Sync, [], outcome =>
            {
                if (outcome.Err != ErrorCode.Ok) AnswerError(client, slot, command, outcome.Err);
                else WhenApplied(outcome.SyncZxid, Synced);
            });
            return;
        }
        // The leader: answer once everything proposed before the sync is applied here.
        WhenApplied(_replica.LastZxid, Synced);
    }

    private void WhenApplied(long zxid, Action done)
    {
        if (Tree.LastProcessedZxid >= zxid) done();
        else _syncWaits.Add((zxid, done));
    }

    private void RunSyncWaits()
    {
        if (_syncWaits.Count == 0) return;
        long applied = Tree.LastProcessedZxid;
        var ready = _syncWaits.Where(w => w.Zxid <= applied).ToList();
        if (ready.Count == 0) return;
        _syncWaits.RemoveAll(w => w.Zxid <= applied);
        foreach (var (_, done) in ready) done();
    }

    // ---- every node: applied txns, role changes ----

    /// <summary>After every txn ZAB applies here: finish the learner's forwarded request, end expired sessions' connections.</summary>
    private void OnReplicatedApply(TxnHeader header, ProcessTxnResult result)
    {
        if (_forwarded.Remove((header.ClientId, header.Cxid), out var done)) done(new ForwardOutcome(result, ErrorCode.Ok, 0));
        // A new leader fills its tracker from the tree when it starts to serve, and only then commits the txns it
        // inherited from the old epoch: a session created among them must be tracked too, or its client's reconnect
        // is answered "expired" (and it would never expire). Sessions this leader proposed are tracked already.
        if (header.Type == (int)OpCode.CreateSession && _replica is { IsLeader: true } && !_sessions.Contains(header.ClientId)
            && Tree.Sessions.TryGetValue(header.ClientId, out int timeoutMs))
            _sessions.Add(header.ClientId, timeoutMs, NowMs);
        if (header.Type == (int)OpCode.CloseSession)
        {
            _sessions.Remove(header.ClientId);
            if (_bySession.TryGetValue(header.ClientId, out var client) && !client.CloseRequested)
            {
                client.CloseRequested = true;
                LogSessionExpired(SessionIds.Hex(header.ClientId));
                Drop(client, "session expired");
            }
        }
        RunSyncWaits();
    }

    private void OnRoleChanged(RoleChanged change)
    {
        // ZooKeeper's election_time: from entering the election to serving again (discovery and sync included).
        if (change.Role == PeerState.Looking) _lookingSince = System.Diagnostics.Stopwatch.GetTimestamp();
        else if (_lookingSince != 0)
        {
            Stats.Metrics.ElectionTime.Record((long)System.Diagnostics.Stopwatch.GetElapsedTime(_lookingSince).TotalMilliseconds);
            _lookingSince = 0;
        }
        Mode = change.Role switch
        {
            PeerState.Leading => "leader",
            PeerState.Following => "follower",
            PeerState.Observing => "observer",
            _ => "looking",
        };
        _forwarded.Clear();
        _syncWaits.Clear();
        _touched.Clear();
        _sessions.Clear();
        if (change.Role == PeerState.Looking)
        {
            foreach (var client in _clients.Values.ToList()) Drop(client, "this server left its quorum: electing a new leader");
            return;
        }
        if (change.Role == PeerState.Leading)
        {
            // The new leader tracks every session in the tree, each with a full timeout from now (as after a restart).
            long now = NowMs;
            foreach (var (sessionId, timeoutMs) in Tree.Sessions) _sessions.Add(sessionId, timeoutMs, now);
        }
    }

    // ---- leader: forwarded work ----

    private void HandleForwardMessage(long from, ForwardMessage message)
    {
        switch (message)
        {
            case ForwardedRequest r: HandleForwardedRequest(from, r); break;
            case ForwardedReply r: HandleForwardedReply(r); break;
            case SessionTouches t when _replica is { IsLeader: true }:
                foreach (var id in t.SessionIds) _sessions.Touch(id, NowMs);
                break;
        }
    }

    private void HandleForwardedReply(ForwardedReply reply)
    {
        if (_forwarded.Remove((reply.SessionId, reply.Cxid), out var done))
            done(new ForwardOutcome(null, (ErrorCode)reply.Err, reply.Zxid));
    }

    private void HandleForwardedRequest(long from, ForwardedRequest r)
    {
        void Refuse(ErrorCode err) => _network!.Send(from, ForwardCodec.Encode(new ForwardedReply(r.SessionId, r.Cxid, (int)err, 0)));
        if (_replica is not { IsLeader: true })
        {
            Refuse(ErrorCode.ConnectionLoss);
            return;
        }
        var op = (OpCode)r.Type;
        if (op == OpCode.Sync)
        {
            _network!.Send(from, ForwardCodec.Encode(new ForwardedReply(r.SessionId, r.Cxid, 0, _replica.LastZxid)));
            return;
        }
        if (!CanPropose)
        {
            Refuse(LogFailed ? ErrorCode.NotReadOnly : ErrorCode.Throttled);
            return;
        }
        switch (op)
        {
            case OpCode.CreateSession when r.Body.Length == 4:
                int timeout = BinaryPrimitives.ReadInt32BigEndian(r.Body);
                _sessions.Add(r.SessionId, timeout, NowMs);
                Propose(r.SessionId, 0, (int)OpCode.CreateSession, new CreateSessionTxn(timeout), null);
                return;
            case OpCode.CloseSession:
                ProposeCloseSession(r.SessionId, r.Cxid, null);
                return;
        }
        if (!_sessions.Touch(r.SessionId, NowMs))
        {
            Refuse(ErrorCode.SessionExpired);
            return;
        }
        Request? request;
        try
        {
            var reader = new JuteReader(r.Body);
            request = RequestDecoder.TryDecode(op, ref reader);
        }
        catch (JuteException)
        {
            request = null;
        }
        if (request is null || ReadProcessor.IsRead(op))
        {
            Refuse(ErrorCode.MarshallingError);
            return;
        }
        var prep = _prep.PrepOutstanding(new RequestSession(r.SessionId, r.Auth), request, _pipeline.NextZxid);
        if (prep.Txn is null)
        {
            Refuse(prep.Err);
            return;
        }
        Propose(r.SessionId, r.Cxid, prep.Type, prep.Txn, null);
    }

    private static byte[] Int32Bytes(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Dropped a malformed frame of {Bytes} bytes from server {Peer}: {Reason}")]
    private partial void LogBadPeerFrame(long peer, int bytes, string reason);
}
