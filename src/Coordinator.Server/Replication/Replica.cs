// Hosts the ZAB core on the server loop: carries out its actions against the log, the tree and the peer links.
using Coordinator.Consensus;
using Coordinator.Core;
using Coordinator.Server.Pipeline;
using Coordinator.StateMachine;
using Microsoft.Extensions.Logging;

namespace Coordinator.Server.Replication;

/// <summary>
/// The ensemble's <see cref="ICommitLog"/>. Lives on the server loop, which owns the <see cref="ZabPeer"/>
/// (DESIGN.md habit 4): every event (a peer message, a tick, the log's durable report, a client write on the
/// leader) goes into the core, and the actions it hands back are carried out in order: Send to the peer links;
/// Persist to the <see cref="LogFlusher"/> (group commit; its durable report becomes <see cref="ZabPeer.Persisted"/>);
/// Truncate, InstallSnapshot and SaveEpochs on the flusher thread, in order with appends and durable before the
/// next action; Apply to the tree, then the request's completion. A txn is decoded once: the leader keeps the
/// record it prepared, a learner decodes the proposal's payload when it persists it.
/// </summary>
internal sealed partial class Replica : ICommitLog
{
    private readonly ZabPeer _peer;
    private readonly IPeerNetwork _network;
    private readonly IReplicaStorage _storage;
    private readonly LogFlusher _flusher;
    private readonly DataTree _tree;
    private readonly Preprocessor _prep;
    private readonly Action _afterApply;
    private readonly Action<TxnHeader, ProcessTxnResult> _applied;
    private readonly Action<RoleChanged> _roleChanged;
    private readonly Action<Exception> _storageFailed;
    private readonly ILogger _log;

    /// <summary>Txns in the history and not applied yet, decoded, by zxid.</summary>
    private readonly Dictionary<long, TxnEntry> _entries = new();

    /// <summary>What to run when a txn this node proposed for one of its own clients is applied, by zxid.</summary>
    private readonly Dictionary<long, Action<ProcessTxnResult>> _completions = new();

    private bool _halted;

    /// <param name="recoveredLog">The txns logged after the snapshot the tree was loaded from (not known to be committed).</param>
    /// <param name="applied">Every applied txn, after its own completion (the server matches forwarded requests).</param>
    /// <param name="storageFailed">The disk failed under a replication step: this node stops taking part.</param>
    public Replica(ZabPeer peer, IReadOnlyList<TxnEntry> recoveredLog, IPeerNetwork network, IReplicaStorage storage, LogFlusher flusher,
        DataTree tree, Preprocessor prep, Action afterApply, Action<TxnHeader, ProcessTxnResult> applied,
        Action<RoleChanged> roleChanged, Action<Exception> storageFailed, ILogger log)
    {
        _peer = peer;
        _network = network;
        _storage = storage;
        _flusher = flusher;
        _tree = tree;
        _prep = prep;
        _afterApply = afterApply;
        _applied = applied;
        _roleChanged = roleChanged;
        _storageFailed = storageFailed;
        _log = log;
        foreach (var entry in recoveredLog) _entries[entry.Header.Zxid] = entry;
    }

    public ZabPeer Peer => _peer;

    /// <summary>Synced with an established leader, or leading one: clients may be served.</summary>
    public bool IsServing => !_halted && _peer.IsServing;

    public bool IsLeader => IsServing && _peer.Role == PeerState.Leading;

    public bool IsLearner => IsServing && _peer.Role is PeerState.Following or PeerState.Observing;

    public long? LeaderId => _peer.LeaderId;

    /// <summary>The last zxid in this node's history (on the leader: the last proposed).</summary>
    public long LastZxid => _peer.LastZxid.Value;

    public long NextZxid => _peer.NextZxid?.Value ?? _peer.LastZxid.Value + 1;

    public bool IsFull => _halted || _peer.Admission != ProposeStatus.Proposed;

    public int Uncommitted => _entries.Count;

    public void Start()
    {
        _peer.Start();
        Run();
    }

    public bool Propose(long sessionId, int cxid, int type, long timeMs, Txn txn, Action<ProcessTxnResult>? onApplied)
    {
        if (_halted || _peer.NextZxid is not { } next) return false;
        var entry = new TxnEntry(new TxnHeader(sessionId, cxid, next.Value, timeMs, type), txn);
        var result = _peer.Propose(TxnSerializer.Serialize(entry));
        if (result.Status != ProposeStatus.Proposed)
            throw new InvalidOperationException($"ZAB refused a proposal it admitted: {result.Status}");
        _entries[next.Value] = entry;
        if (onApplied is not null) _completions[next.Value] = onApplied;
        Run();
        return true;
    }

    public void OnDurable(long zxid)
    {
        if (_halted) return;
        _peer.Persisted(new Zxid(zxid));
        Run();
    }

    public void Step(long from, PeerMessage message)
    {
        if (_halted) return;
        _peer.Step(from, message);
        Run();
    }

    public void Tick()
    {
        if (_halted) return;
        // The epoch's counter is used up: proposing nothing makes the leader step down for a new epoch.
        if (_peer.Admission == ProposeStatus.Rollover) _peer.Propose([]);
        _peer.Tick();
        Run();
    }

    public void PeerLost(long id)
    {
        if (_halted) return;
        _peer.PeerLost(id);
        Run();
    }

    private void Run()
    {
        try
        {
            for (var actions = _peer.TakeActions(); actions.Count > 0; actions = _peer.TakeActions())
            {
                foreach (var action in actions) Execute(action);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A step half done (most likely on disk) leaves this node's state unlike what the core believes: stop
            // taking part rather than risk a wrong ack; the others carry on and this node rejoins after a restart.
            _halted = true;
            LogHalted(e);
            _storageFailed(e);
        }
    }

    private void Execute(ZabAction action)
    {
        switch (action)
        {
            case Send s:
                _network.Send(s.To, PeerMessageCodec.Encode(s.Message));
                break;
            case SendWithSnapshot s:
                var snapshot = _storage.SerializeSnapshot(_tree);
                LogSendingSnapshot(s.To, snapshot.Length, _tree.LastProcessedZxid);
                _network.Send(s.To, PeerMessageCodec.Encode(s.Message with { Snapshot = snapshot }));
                break;
            case Persist p:
                foreach (var txn in p.Txns)
                {
                    var entry = EntryOf(txn);
                    _flusher.Enqueue(entry.Header, entry.Txn);
                }
                break;
            case Truncate t:
                _flusher.RunInOrder(() => _storage.TruncateLogAfter(t.After.Value));
                foreach (var zxid in _entries.Keys.Where(z => z > t.After.Value).ToList()) _entries.Remove(zxid);
                LogTruncated(t.After.Value);
                break;
            case InstallSnapshot i:
                DataTree? installed = null;
                _flusher.RunInOrder(() => installed = _storage.InstallSnapshot(i.Zxid.Value, i.Snapshot));
                _tree.ReplaceWith(installed!);
                _entries.Clear();
                _prep.DiscardOutstanding();
                LogInstalled(i.Zxid.Value, _tree.NodeCount);
                break;
            case SaveEpochs e:
                _flusher.RunInOrder(() => _storage.SaveEpochs(e.AcceptedEpoch, e.CurrentEpoch));
                break;
            case Apply a:
                ApplyTxn(a.Txn);
                break;
            case RoleChanged r:
                if (r.Role == PeerState.Looking)
                {
                    // Their clients are disconnected; the txns may still commit under the next leader.
                    _completions.Clear();
                    _prep.DiscardOutstanding();
                }
                LogRole(r.Role, r.Epoch, r.Leader);
                _roleChanged(r);
                break;
        }
    }

    private void ApplyTxn(LoggedTxn txn)
    {
        long zxid = txn.Zxid.Value;
        if (!_entries.Remove(zxid, out var entry)) entry = TxnSerializer.Deserialize(txn.Payload);
        var result = _tree.Apply(entry.Header, entry.Txn);
        _prep.Applied(zxid);
        _afterApply();
        if (_completions.Remove(zxid, out var done)) done(result);
        _applied(entry.Header, result);
    }

    private TxnEntry EntryOf(LoggedTxn txn)
    {
        if (_entries.TryGetValue(txn.Zxid.Value, out var entry)) return entry;
        entry = TxnSerializer.Deserialize(txn.Payload);
        _entries[txn.Zxid.Value] = entry;
        return entry;
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "ZAB role: {Role}, epoch {Epoch}, leader {Leader}")]
    private partial void LogRole(PeerState role, int epoch, long leader);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Sending a snapshot of {Bytes} bytes at zxid 0x{Zxid:x} to server {To}")]
    private partial void LogSendingSnapshot(long to, int bytes, long zxid);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Log truncated after zxid 0x{Zxid:x} as the leader asked")]
    private partial void LogTruncated(long zxid);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Installed the leader's snapshot at zxid 0x{Zxid:x}: {Nodes} znodes")]
    private partial void LogInstalled(long zxid, int nodes);

    [LoggerMessage(EventId = 204, Level = LogLevel.Critical, Message = "A replication step failed; this node stops taking part in the ensemble until restart")]
    private partial void LogHalted(Exception e);
}
