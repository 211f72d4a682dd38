// The leader's side of ZAB: discovery (a new epoch), sync of each learner, then broadcast with quorum commits.
using Coordinator.Core;

namespace Coordinator.Consensus;

/// <remarks>
/// Discovery: once a quorum of voters sent FOLLOWERINFO, the new epoch is one above every accepted epoch among
/// them. It becomes the leader's only when a quorum of voters accepted it freshly (raised their accepted epoch
/// for it), so no two leaders ever own one epoch. Sync: each learner gets a NEWLEADER with its DIFF, TRUNC or
/// SNAP; once a quorum of voters acked it durably the leader is established, commits its whole initial history
/// and serves. Broadcast: proposals go to every synced follower; a txn commits when a quorum (the leader
/// included) has it durable; observers get each committed txn (INFORM). A leader that does not hear from a quorum
/// within syncLimit ticks, or is not established within initLimit ticks, goes back to looking.
/// </remarks>
internal sealed class LeaderRole
{
    private enum Phase { AwaitAckEpoch, Syncing, Synced }

    private sealed class Handler(long id, bool isObserver, long handshake, long now)
    {
        public long Id { get; } = id;
        public bool IsObserver { get; } = isObserver;
        public long Handshake { get; } = handshake;
        public Phase Phase { get; set; } = Phase.AwaitAckEpoch;
        public bool EpochAcked { get; set; }
        public Zxid LearnerLast { get; set; }
        public Zxid LearnerApplied { get; set; }
        public Zxid SyncTarget { get; set; }
        public Zxid Acked { get; set; }
        public Zxid Informed { get; set; }
        public long LastHeard { get; set; } = now;
        public bool Sending => Phase != Phase.AwaitAckEpoch;
    }

    private readonly ZabPeer _p;
    private readonly Dictionary<long, Handler> _handlers = new();
    private readonly Dictionary<long, int> _acceptedEpochs = new();
    private readonly HashSet<long> _freshAcks = new();
    private readonly long _startedAt;
    private readonly int _originalEpoch;
    private readonly Zxid _originalLast;
    private int _newEpoch = -1;
    private bool _epochSet;

    public LeaderRole(ZabPeer peer)
    {
        _p = peer;
        _startedAt = peer.Now;
        _originalEpoch = peer.CurrentEpoch;
        _originalLast = peer.History.Last;
    }

    public bool Established { get; private set; }
    public int? Epoch => _newEpoch >= 0 ? _newEpoch : null;
    private ZabSettings Settings => _p.Settings;
    private QuorumConfig Config => _p.Config;

    public Zxid? NextZxid
    {
        get
        {
            if (!Established) return null;
            var last = _p.History.Last;
            if (last.Epoch != _newEpoch) return Zxid.Of(_newEpoch, 1);
            return (uint)last.Counter >= Settings.ZxidCounterMax ? null : last.Next();
        }
    }

    public void Begin()
    {
        _acceptedEpochs[_p.Id] = _p.AcceptedEpoch;
        TryChooseEpoch();
    }

    public void Receive(long from, PeerMessage message)
    {
        switch (message)
        {
            case FollowerInfo fi: OnFollowerInfo(from, fi); break;
            case AckEpoch ae: OnAckEpoch(from, ae); break;
            case Ack a: OnAck(from, a); break;
        }
    }

    public void Tick()
    {
        if (!Established)
        {
            if (_p.Now - _startedAt > Settings.InitLimitTicks) { _p.LookForLeader(); return; }
        }
        else
        {
            foreach (var h in _handlers.Values.Where(h => _p.Now - h.LastHeard > Settings.SyncLimitTicks).ToList())
                _handlers.Remove(h.Id);
            if (!Config.IsQuorum(SyncedVoters().Append(_p.Id))) { _p.LookForLeader(); return; }
        }
        foreach (var h in _handlers.Values)
        {
            long synced = Established && h.Phase == Phase.Synced ? h.Handshake : 0;
            if (h.Sending)
                _p.Emit(new Send(h.Id, new Ping(_newEpoch, _p.Commit, h.IsObserver ? h.Informed : _p.History.Last, synced)));
            else if (h.EpochAcked)
                _p.Emit(new Send(h.Id, new Ping(_newEpoch, Zxid.Zero, Zxid.Zero, 0)));
        }
    }

    public void OnPersisted()
    {
        if (!_epochSet) TryStartSync();
        else if (!Established) TryEstablish();
        else RecomputeCommit();
    }

    /// <summary>Learners with a handshake under way or done, and those synced (voters, observers): mntr's leader gauges.</summary>
    public LearnerCounts Counts => new(
        _handlers.Count,
        _handlers.Values.Count(h => h.Phase == Phase.Synced && !h.IsObserver),
        _handlers.Values.Count(h => h.Phase == Phase.Synced && h.IsObserver));

    /// <summary>What <see cref="Propose"/> would answer now, without proposing or changing anything.</summary>
    public ProposeStatus Admission =>
        !Established ? ProposeStatus.NotReady
        : _p.History.CountAfter(_p.Commit) >= Settings.OutstandingProposalsMax ? ProposeStatus.Busy
        : NextZxid is null ? ProposeStatus.Rollover
        : ProposeStatus.Proposed;

    public ProposeResult Propose(byte[] payload)
    {
        var admission = Admission;
        if (admission is ProposeStatus.NotReady or ProposeStatus.Busy) return new ProposeResult(admission, Zxid.Zero);
        if (NextZxid is not { } zxid)
        {
            // ZooKeeper's rule: the counter must not wrap into the epoch bits; a new epoch needs a new election.
            _p.LookForLeader();
            return new ProposeResult(ProposeStatus.Rollover, Zxid.Zero);
        }
        var prev = _p.History.Last;
        var txn = new LoggedTxn(zxid, payload);
        _p.History.Append(txn);
        _p.Emit(new Persist([txn]));
        var proposal = new Proposal(_newEpoch, prev, txn);
        foreach (var h in _handlers.Values)
            if (h.Sending && !h.IsObserver) _p.Emit(new Send(h.Id, proposal));
        return new ProposeResult(ProposeStatus.Proposed, zxid);
    }

    // ---- discovery ----

    private void OnFollowerInfo(long from, FollowerInfo fi)
    {
        if (fi.IsObserver != Config.IsObserver(from)) return;
        if (_handlers.TryGetValue(from, out var known) && known.Handshake == fi.Handshake)
        {
            known.LastHeard = _p.Now;
            if (known.Phase == Phase.AwaitAckEpoch && _newEpoch >= 0 && !known.EpochAcked)
                _p.Emit(new Send(from, new LeaderInfo(_newEpoch, fi.Handshake)));
            return;
        }
        if (_newEpoch >= 0 && !fi.IsObserver && fi.AcceptedEpoch > _newEpoch)
        {
            // This voter promised a newer epoch (to a leader that never got going) and can never follow ours.
            // Leaving lets the next election pick an epoch above its promise, so the whole ensemble serves again.
            _p.LookForLeader();
            return;
        }
        var h = new Handler(from, fi.IsObserver, fi.Handshake, _p.Now);
        _handlers[from] = h;
        if (_newEpoch >= 0)
        {
            _p.Emit(new Send(from, new LeaderInfo(_newEpoch, fi.Handshake)));
            return;
        }
        if (Config.IsVoter(from))
            _acceptedEpochs[from] = Math.Max(fi.AcceptedEpoch, _acceptedEpochs.GetValueOrDefault(from));
        TryChooseEpoch();
    }

    private void TryChooseEpoch()
    {
        if (_newEpoch >= 0 || !Config.IsQuorum(_acceptedEpochs.Keys)) return;
        int max = _acceptedEpochs.Values.Max();
        if (max == int.MaxValue) throw new InvalidOperationException("ZAB epochs are used up (2^31 - 1)");
        _newEpoch = max + 1;
        _p.AcceptedEpoch = _newEpoch;
        _p.SaveEpochs();
        _freshAcks.Add(_p.Id);
        foreach (var h in _handlers.Values)
            _p.Emit(new Send(h.Id, new LeaderInfo(_newEpoch, h.Handshake)));
        TryStartSync();
    }

    private void OnAckEpoch(long from, AckEpoch ae)
    {
        if (!_handlers.TryGetValue(from, out var h) || h.Handshake != ae.Handshake) return;
        h.LastHeard = _p.Now;
        if (h.Phase != Phase.AwaitAckEpoch || h.EpochAcked || _newEpoch < 0) return;
        // A learner with a newer history than ours means this election went wrong: leading would lose its txns.
        if (!Established && ae.CurrentEpoch != _newEpoch &&
            (ae.CurrentEpoch > _originalEpoch || (ae.CurrentEpoch == _originalEpoch && ae.LastZxid > _originalLast)))
        {
            _p.LookForLeader();
            return;
        }
        h.EpochAcked = true;
        h.LearnerLast = ae.LastZxid;
        h.LearnerApplied = ae.AppliedZxid;
        if (ae.Fresh && Config.IsVoter(from)) _freshAcks.Add(from);
        if (_epochSet) Sync(h);
        else TryStartSync();
    }

    /// <summary>
    /// The epoch is ours once a quorum accepted it freshly; raise currentEpoch (only once our own history is
    /// durable, or a crash could leave a short history under a new epoch) and sync everyone who acked.
    /// </summary>
    private void TryStartSync()
    {
        if (_epochSet || _newEpoch < 0 || !Config.IsQuorum(_freshAcks) || _p.Durable < _originalLast) return;
        _epochSet = true;
        _p.CurrentEpoch = _newEpoch;
        _p.SaveEpochs();
        foreach (var h in _handlers.Values)
            if (h.EpochAcked && h.Phase == Phase.AwaitAckEpoch) Sync(h);
        TryEstablish();
    }

    // ---- sync ----

    private void Sync(Handler h)
    {
        var plan = SyncPlanner.Plan(h.LearnerLast, h.LearnerApplied, _p.History, _p.Applied);
        // Observers take committed txns only.
        var upTo = h.IsObserver ? _p.Commit : _p.History.Last;
        var txns = _p.History.Between(plan.From, upTo);
        var message = new NewLeader(_newEpoch, h.Handshake, plan.Mode, plan.From, [], txns, _p.Commit);
        h.Phase = Phase.Syncing;
        h.SyncTarget = txns.Count > 0 ? txns[^1].Zxid : plan.From;
        h.Acked = Zxid.Zero;
        h.Informed = upTo > h.SyncTarget ? upTo : h.SyncTarget;
        _p.Emit(plan.Mode == SyncMode.Snap ? new SendWithSnapshot(h.Id, message) : new Send(h.Id, message));
    }

    private void OnAck(long from, Ack a)
    {
        if (!_handlers.TryGetValue(from, out var h) || a.Epoch != _newEpoch) return;
        h.LastHeard = _p.Now;
        if (!h.Sending) return;
        if (a.Zxid > h.Acked) h.Acked = a.Zxid;
        if (h.Phase == Phase.Syncing && a.Zxid >= h.SyncTarget)
        {
            h.Phase = Phase.Synced;
            if (Established) _p.Emit(new Send(h.Id, new UpToDate(_newEpoch, h.Handshake, _p.Commit)));
            else TryEstablish();
        }
        if (Established && !h.IsObserver) RecomputeCommit();
    }

    private IEnumerable<long> SyncedVoters() =>
        _handlers.Values.Where(h => !h.IsObserver && h.Phase == Phase.Synced).Select(h => h.Id);

    private void TryEstablish()
    {
        if (Established || !_epochSet || _p.Durable < _originalLast) return;
        if (!Config.IsQuorum(SyncedVoters().Append(_p.Id))) return;
        Established = true;
        _p.BecameServing(PeerState.Leading, _newEpoch, _p.Id);
        // A quorum now holds the whole initial history under the new epoch: all of it is committed.
        _p.AdvanceCommit(_originalLast);
        RecomputeCommit();
        SendCommits();
        foreach (var h in _handlers.Values)
            if (h.Phase == Phase.Synced) _p.Emit(new Send(h.Id, new UpToDate(_newEpoch, h.Handshake, _p.Commit)));
    }

    // ---- broadcast ----

    /// <summary>Commits up to the highest zxid a quorum (this leader included) has durable.</summary>
    private void RecomputeCommit()
    {
        var acked = _handlers.Values.Where(h => !h.IsObserver && h.Phase == Phase.Synced).Select(h => h.Acked)
            .Append(_p.Durable).OrderDescending().ToList();
        if (acked.Count < Config.QuorumSize) return;
        var candidate = acked[Config.QuorumSize - 1];
        if (candidate <= _p.Commit) return;
        _p.AdvanceCommit(candidate);
        SendCommits();
    }

    /// <summary>The oldest zxid an observer still needs informed after; the history keeps what follows it.</summary>
    public Zxid? RetainFloor
    {
        get
        {
            Zxid? floor = null;
            foreach (var h in _handlers.Values)
                if (h.IsObserver && h.Sending && (floor is null || h.Informed < floor.Value)) floor = h.Informed;
            return floor;
        }
    }

    private void SendCommits()
    {
        var commit = new Commit(_newEpoch, _p.Commit);
        foreach (var h in _handlers.Values.ToList())
        {
            if (!h.Sending) continue;
            if (!h.IsObserver) { _p.Emit(new Send(h.Id, commit)); continue; }
            if (h.Informed < _p.History.Base)
            {
                // What it lacks is gone from memory: forget it; it times out, rejoins and gets a SNAP.
                _handlers.Remove(h.Id);
                continue;
            }
            var prev = h.Informed;
            foreach (var txn in _p.History.Between(h.Informed, _p.Commit))
            {
                _p.Emit(new Send(h.Id, new Inform(_newEpoch, prev, txn)));
                prev = txn.Zxid;
            }
            if (prev > h.Informed) h.Informed = prev;
        }
    }
}
