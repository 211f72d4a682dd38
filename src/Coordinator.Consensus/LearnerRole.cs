// The learner's side of ZAB (follower or observer): handshake with the leader, sync, then take its broadcast.
using Coordinator.Core;

namespace Coordinator.Consensus;

/// <remarks>
/// Handshake: FOLLOWERINFO → LEADERINFO (accept the epoch, persisted) → ACKEPOCH → NEWLEADER (apply the DIFF,
/// TRUNC or SNAP; once the result is durable raise currentEpoch, persisted, then ACK) → UPTODATE (serve).
/// FOLLOWERINFO is repeated every ElectionRetryTicks until answered (the leader may decide after its learners); a
/// step that does not come within HandshakeRetryTicks starts the handshake again; messages of an older handshake are
/// ignored. In broadcast a follower appends each PROPOSAL that follows its last zxid and acks it once durable; an
/// observer does the same with INFORMs, which are committed already. A gap (a lost message) sends a serving
/// learner back to election, and a learner that hears nothing from its leader for syncLimit ticks (initLimit
/// before it serves) goes back too.
/// </remarks>
internal sealed class LearnerRole
{
    private enum Phase { Connecting, AwaitSync, Synced, Broadcast }

    private readonly ZabPeer _p;
    private Phase _phase;
    private long _handshake;
    private long _phaseSince;
    private long _lastHeard;
    private bool _epochSaved;
    private Zxid _syncTarget;

    public LearnerRole(ZabPeer peer, long leader, bool isObserver)
    {
        _p = peer;
        Leader = leader;
        IsObserver = isObserver;
        _lastHeard = peer.Now;
    }

    public long Leader { get; }
    public bool IsObserver { get; }
    public bool Serving => _phase == Phase.Broadcast;
    public int? Epoch { get; private set; }
    private ZabSettings Settings => _p.Settings;

    public void Begin() => StartHandshake();

    /// <summary>The handshake's state, for diagnostics (the simulation prints it when a node stops progressing).</summary>
    public override string ToString() => $"{_phase} handshake {_handshake} epochSaved={_epochSaved} since {_phaseSince} heard {_lastHeard}";

    public void Tick()
    {
        long limit = Serving ? Settings.SyncLimitTicks : Settings.InitLimitTicks;
        if (_p.Now - _lastHeard > limit) { _p.LookForLeader(); return; }
        bool waiting = _phase is Phase.Connecting or Phase.AwaitSync;
        if (waiting && _p.Now - Math.Max(_phaseSince, _lastHeard) >= Settings.HandshakeRetryTicks) StartHandshake();
        // The leader may not have been leading yet when FOLLOWERINFO came (it decided a moment later): repeat it
        // as often as votes are repeated. The leader answers a repeat of a known handshake idempotently.
        else if (_phase == Phase.Connecting && (_p.Now - _phaseSince) % Settings.ElectionRetryTicks == 0) SendFollowerInfo();
    }

    public void Receive(long from, PeerMessage message)
    {
        if (from != Leader) return;
        switch (message)
        {
            case LeaderInfo li when _phase == Phase.Connecting && li.Handshake == _handshake:
                OnLeaderInfo(li);
                break;
            case NewLeader nl when _phase == Phase.AwaitSync && nl.Handshake == _handshake && nl.Epoch == Epoch:
                Heard();
                OnNewLeader(nl);
                break;
            case UpToDate u when _phase == Phase.Synced && _epochSaved && u.Handshake == _handshake && u.Epoch == Epoch:
                Heard();
                Serve(u.CommitZxid);
                break;
            case Ping ping when ping.Epoch == Epoch && _phase != Phase.Connecting:
                Heard();
                if (_phase >= Phase.Synced) OnPing(ping);
                break;
            case Proposal pr when !IsObserver && _phase >= Phase.Synced && pr.Epoch == Epoch:
                Heard();
                OnTxn(pr.PrevZxid, pr.Txn, committed: false);
                break;
            case Inform inf when IsObserver && _phase >= Phase.Synced && inf.Epoch == Epoch:
                Heard();
                OnTxn(inf.PrevZxid, inf.Txn, committed: true);
                break;
            case Commit c when !IsObserver && _phase >= Phase.Synced && c.Epoch == Epoch:
                Heard();
                if (c.Zxid > _p.History.Last) Resync();
                else _p.AdvanceCommit(c.Zxid);
                break;
        }
    }

    public void OnPersisted()
    {
        if (_phase < Phase.Synced) return;
        if (!_epochSaved) TrySaveEpoch();
        else SendAck();
    }

    private void Heard() => _lastHeard = _p.Now;

    private void StartHandshake()
    {
        _handshake = ++_p.HandshakeCounter;
        _phase = Phase.Connecting;
        _phaseSince = _p.Now;
        _epochSaved = false;
        SendFollowerInfo();
    }

    private void SendFollowerInfo() =>
        _p.Emit(new Send(Leader, new FollowerInfo(_p.AcceptedEpoch, _p.History.Last, _handshake, IsObserver)));

    /// <summary>A serving learner that lost a message leaves (as ZooKeeper's do); one still syncing retries.</summary>
    private void Resync()
    {
        if (Serving) _p.LookForLeader();
        else StartHandshake();
    }

    private void OnLeaderInfo(LeaderInfo li)
    {
        Heard();
        // A voter never goes back on an accepted epoch; an observer's promise protects nothing, as it never counts.
        if (li.NewEpoch < _p.AcceptedEpoch && !IsObserver) { _p.LookForLeader(); return; }
        bool fresh = li.NewEpoch > _p.AcceptedEpoch;
        if (fresh)
        {
            _p.AcceptedEpoch = li.NewEpoch;
            _p.SaveEpochs();
        }
        Epoch = li.NewEpoch;
        _phase = Phase.AwaitSync;
        _phaseSince = _p.Now;
        _p.Emit(new Send(Leader, new AckEpoch(_p.CurrentEpoch, _p.History.Last, _p.Applied, _handshake, fresh)));
    }

    private void OnNewLeader(NewLeader nl)
    {
        switch (nl.Mode)
        {
            case SyncMode.Diff when nl.From != _p.History.Last:
            case SyncMode.Trunc when !_p.History.Contains(nl.From):
            case SyncMode.Snap when nl.From < _p.Applied:
                // Computed for a history we no longer have (a message from before a restart): ask again.
                StartHandshake();
                return;
            case SyncMode.Trunc:
                LowerCurrentEpochTo(nl.From.Epoch);
                _p.TruncateAfter(nl.From);
                break;
            case SyncMode.Snap:
                LowerCurrentEpochTo(nl.From.Epoch);
                _p.InstallSnapshot(nl.From, nl.Snapshot);
                break;
        }
        foreach (var txn in nl.Txns) _p.History.Append(txn);
        if (nl.Txns.Count > 0) _p.Emit(new Persist(nl.Txns));
        _syncTarget = _p.History.Last;
        _phase = Phase.Synced;
        _p.AdvanceCommit(nl.CommitZxid);
        TrySaveEpoch();
    }

    /// <summary>
    /// Before cutting the history back to <c>From</c>, stop claiming a newer epoch than its own: the cut may drop
    /// durable txns (committed ones among them) that come back only with the appends after it, and a crash in
    /// between must not leave a short history under an epoch that promises all of that epoch's initial history.
    /// </summary>
    private void LowerCurrentEpochTo(int epoch)
    {
        if (epoch >= _p.CurrentEpoch) return;
        _p.CurrentEpoch = epoch;
        _p.SaveEpochs();
    }

    /// <summary>Raises currentEpoch only once the synced history is durable, then acks NEWLEADER.</summary>
    private void TrySaveEpoch()
    {
        if (_epochSaved || _p.Durable < _syncTarget) return;
        _epochSaved = true;
        if (_p.CurrentEpoch != Epoch!.Value)
        {
            _p.CurrentEpoch = Epoch.Value;
            _p.SaveEpochs();
        }
        SendAck();
    }

    private void SendAck()
    {
        if (_epochSaved) _p.Emit(new Send(Leader, new Ack(Epoch!.Value, _p.Durable)));
    }

    private void Serve(Zxid commit)
    {
        _phase = Phase.Broadcast;
        _p.AdvanceCommit(commit);
        _p.BecameServing(IsObserver ? PeerState.Observing : PeerState.Following, Epoch!.Value, Leader);
    }

    private void OnPing(Ping ping)
    {
        // Over a FIFO channel a ping never overtakes what it reports: anything missing was lost.
        if (ping.LastZxid > _p.History.Last) { Resync(); return; }
        if (_phase == Phase.Synced && _epochSaved && ping.SyncedHandshake == _handshake) Serve(ping.CommitZxid);
        else _p.AdvanceCommit(ping.CommitZxid);
        SendAck();
    }

    private void OnTxn(Zxid prev, LoggedTxn txn, bool committed)
    {
        if (txn.Zxid <= _p.History.Last)
        {
            // A duplicate: our history already holds this txn (histories sharing a zxid agree before it).
            if (committed && _p.History.Contains(txn.Zxid)) _p.AdvanceCommit(txn.Zxid);
            return;
        }
        if (prev != _p.History.Last) { Resync(); return; }
        _p.History.Append(txn);
        _p.Emit(new Persist([txn]));
        if (committed) _p.AdvanceCommit(txn.Zxid);
    }
}
