// The server loop's session side: connect and reconnect, close and expiry, auth, setWatches, container and TTL removal.
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.Server.Sessions;
using Coordinator.StateMachine;
using Coordinator.StateMachine.Security;
using Coordinator.StateMachine.Watches;
using Microsoft.Extensions.Logging;

namespace Coordinator.Server;

public sealed partial class ServerNode
{
    private void HandleConnect(ConnectCommand command)
    {
        var c = command.Connection;
        var request = command.Request;
        if (_clients.ContainsKey(c)) { c.Close("second connect request on one connection"); return; }
        var client = new ClientState(c);
        _clients[c] = client;
        if (_replica is { IsServing: false })
        {
            Drop(client, "this server is not serving: it is electing a leader or syncing with one");
            return;
        }
        if (request.LastZxidSeen > Tree.LastProcessedZxid)
        {
            LogRefusedZxid(c.RemoteAddress, request.LastZxidSeen, Tree.LastProcessedZxid);
            Drop(client, "client has seen a newer zxid than this server");
            return;
        }
        bool? readOnly = request.ReadOnly is null ? null : false;
        if (request.SessionId == 0)
        {
            CreateSession(client, request, readOnly);
            return;
        }
        long sessionId = request.SessionId;
        if (SessionTimeout(sessionId) == 0 || !SessionPasswords.Matches(sessionId, request.Password))
        {
            // ZooKeeper answers an invalid or expired session with a zero timeout, which clients read as "expired".
            LogSessionRefused(SessionIds.Hex(sessionId), c.RemoteAddress);
            Send(client, Packets.Record(new ConnectResponse(0, 0, 0, new byte[Limits.SessionPasswordBytes], readOnly)));
            Drop(client, "session expired or password wrong");
            return;
        }
        TouchSession(sessionId);
        if (_bySession.TryGetValue(sessionId, out var previous) && previous != client)
        {
            Unbind(previous);
            Drop(previous, "its session moved to a new connection");
        }
        int timeoutMs = SessionTimeout(sessionId);
        Bind(client, sessionId, timeoutMs);
        Send(client, Packets.Record(new ConnectResponse(0, timeoutMs, sessionId, SessionPasswords.For(sessionId), readOnly)));
    }

    /// <summary>A new session is a txn like any write: the client hears of it once it is durable.</summary>
    private void CreateSession(ClientState client, ConnectRequest request, bool? readOnly)
    {
        if (!CanPropose)
        {
            Drop(client, LogFailed ? "the transaction log failed" : "too many writes waiting for the log");
            return;
        }
        int timeout = Math.Clamp(request.TimeoutMs, Settings.MinSessionTimeoutMs, Settings.MaxSessionTimeoutMs);
        long sessionId = _nextSessionId++;
        Bind(client, sessionId, timeout);
        var slot = new ReplySlot();
        client.Replies.Enqueue(slot);
        void Created()
        {
            LogSessionCreated(SessionIds.Hex(sessionId), timeout, client.Connection.RemoteAddress);
            slot.Packet = Packets.Record(new ConnectResponse(0, timeout, sessionId, SessionPasswords.For(sessionId), readOnly));
            Pump(client);
        }
        if (_replica is { IsLearner: true })
        {
            Forward(client, sessionId, 0, OpCode.CreateSession, Int32Bytes(timeout),
                outcome => { if (outcome.Result is not null) Created(); else Drop(client, "the leader refused the new session"); });
            return;
        }
        _sessions.Add(sessionId, timeout, NowMs);
        Propose(sessionId, 0, (int)OpCode.CreateSession, new CreateSessionTxn(timeout), _ => Created());
    }

    private void Bind(ClientState client, long sessionId, int timeoutMs)
    {
        client.SessionId = sessionId;
        _bySession[sessionId] = client;
        client.Connection.Stats.SessionId = sessionId;
        client.Connection.Stats.TimeoutMs = timeoutMs;
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

    private void HandleCloseSession(ClientState client, RequestCommand command)
    {
        if (!CanPropose)
        {
            ReplyError(client, command, LogFailed ? ErrorCode.NotReadOnly : ErrorCode.Throttled);
            return;
        }
        client.CloseRequested = true;
        var slot = new ReplySlot { AfterSend = () => Drop(client, "client closed its session") };
        client.Replies.Enqueue(slot);
        void Closed(long zxid)
        {
            Unbind(client);
            slot.Packet = Packets.Reply(new ReplyHeader(command.Header.Xid, zxid, 0), null);
            RecordLatency(command, zxid);
            Pump(client);
        }
        if (_replica is { IsLearner: true })
        {
            Forward(client, client.SessionId, command.Header.Xid, OpCode.CloseSession, [],
                outcome => Closed(outcome.Result?.Zxid ?? Tree.LastProcessedZxid));
            return;
        }
        ProposeCloseSession(client.SessionId, command.Header.Xid, result => Closed(result.Zxid));
    }

    /// <summary>Ends a session: its ephemerals (as prepared writes will leave them) are deleted by the txn.</summary>
    private void ProposeCloseSession(long sessionId, int cxid, Action<ProcessTxnResult>? onApplied)
    {
        _sessions.Remove(sessionId);
        var txn = _prep.PrepCloseSession(sessionId, _pipeline.NextZxid);
        Propose(sessionId, cxid, (int)OpCode.CloseSession, txn, onApplied);
    }

    private void HandleTick()
    {
        CatchUpWithFlusher();
        // A share whose wake-up found the command queue full is picked up here.
        _snapshots?.Continue();
        TakeSnapshotIfDue();
        long now = NowMs;
        if (_replica is not null)
        {
            _replica.Tick();
            // Only the leader expires sessions and removes containers; a learner reports its sessions' activity.
            if (!_replica.IsLeader)
            {
                if (_replica.IsLearner) ReportTouches(now);
                return;
            }
        }
        foreach (var sessionId in _sessions.TakeExpired(now))
        {
            LogSessionExpired(SessionIds.Hex(sessionId));
            if (_bySession.TryGetValue(sessionId, out var client))
            {
                client.CloseRequested = true;
                Drop(client, "session expired");
            }
            if (CanPropose) ProposeCloseSession(sessionId, 0, null);
        }
        if (now - _lastContainerCheckMs >= ContainerCheckIntervalMs)
        {
            _lastContainerCheckMs = now;
            RemoveEmptyContainersAndExpiredTtls(now);
        }
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
        var system = new RequestSession(0, [new Id(AclCheck.SuperScheme, "")]);
        foreach (var path in candidates)
        {
            if (!CanPropose) return;
            // Prepared against outstanding changes: a removal already on its way to disk fails here with NoNode.
            var prep = _prep.PrepOutstanding(system, new DeleteRequest(OpCode.DeleteContainer, path, -1), _pipeline.NextZxid);
            if (prep.Txn is not null) Propose(0, 0, prep.Type, prep.Txn, null);
        }
    }

    private void HandleAuth(AuthCommand command)
    {
        if (Client(command.Connection) is not { } client) return;
        var packet = command.Packet;
        if (packet.Scheme == DigestAuth.Scheme)
        {
            string digest = DigestAuth.Generate(System.Text.Encoding.UTF8.GetString(packet.Auth));
            if (Settings.SuperDigest is { } super && digest == super) client.Auth.Add(new Id(AclCheck.SuperScheme, ""));
            var id = new Id(DigestAuth.Scheme, digest);
            if (!client.Auth.Contains(id)) client.Auth.Add(id);
            Reply(client, Packets.Reply(new ReplyHeader(Xids.Auth, 0, 0), null));
            return;
        }
        LogAuthFailed(packet.Scheme, command.Connection.RemoteAddress);
        Reply(client, Packets.Reply(new ReplyHeader(Xids.Auth, 0, (int)ErrorCode.AuthFailed), null));
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
        Reply(client, Packets.Reply(new ReplyHeader(Xids.SetWatches, Tree.LastProcessedZxid, 0), null));
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
}
