// ZAB as a pure state machine: election, discovery, sync and broadcast for one server, driven by events.
using Coordinator.Core;

namespace Coordinator.Consensus;

public enum ProposeStatus
{
    Proposed,
    /// <summary>This node is not the leader: forward the request to <see cref="ZabPeer.LeaderId"/>.</summary>
    NotLeader,
    /// <summary>This node leads but no quorum is synced yet: retry, or fail the request.</summary>
    NotReady,
    /// <summary>OutstandingProposalsMax proposals already wait for a quorum: refuse the request for now.</summary>
    Busy,
    /// <summary>The epoch's zxid counter is used up; the leader stepped down to start a new epoch.</summary>
    Rollover,
}

public readonly record struct ProposeResult(ProposeStatus Status, Zxid Zxid);

/// <summary>A leader's learners: connected (handshake begun), and synced followers and observers.</summary>
public readonly record struct LearnerCounts(int Learners, int SyncedFollowers, int SyncedObservers);

/// <summary>
/// One server's side of ZooKeeper Atomic Broadcast, with no I/O, clocks, threads or randomness inside (DESIGN.md
/// habit 1), so the same code runs in the server and in the deterministic simulation.
/// <para>Events in: <see cref="Start"/> once (after construction from the <see cref="DurableState"/> found on
/// disk: that is how a restart recovers), <see cref="Step"/> for each message from a peer, <see cref="Tick"/>
/// every tickTime, <see cref="Propose"/> for a client txn (leader only; returns its zxid at once) and
/// <see cref="Persisted"/> when the host's log has made writes durable.</para>
/// <para>Actions out: after each event the host drains <see cref="TakeActions"/> and carries the actions out in
/// order (<see cref="Send"/>, <see cref="SendWithSnapshot"/>, <see cref="Persist"/>, <see cref="Truncate"/>,
/// <see cref="InstallSnapshot"/>, <see cref="SaveEpochs"/>, <see cref="Apply"/>, <see cref="RoleChanged"/>).
/// The types carry the ordering rules: a node acks a txn only after the host reported it durable; it applies a
/// txn only when it is both committed and durable locally; it raises currentEpoch only once the history it took
/// in sync is durable, and lowers it before a TRUNC or SNAP cuts its history below that epoch; it reports a role other than Looking only once a quorum is synced with its leader.</para>
/// <para>Hosting in the server: the server loop owns one ZabPeer (the single writer, habit 4). Peer TCP readers
/// decode frames with <see cref="PeerMessageCodec"/> and post them to the loop, which calls Step; the ticker
/// calls Tick; the leader's loop prepares a write with <see cref="NextZxid"/>, puts the jute txn bytes in
/// Propose; Persist goes to the LogFlusher (group commit) whose durable callback becomes Persisted; Apply feeds
/// DataTree.Apply and answers the client if this node took the request; RoleChanged(Looking) fails requests in
/// flight and sets srvr's Mode. Recovery loads the newest snapshot only and hands the log after it to the core,
/// which applies those txns once a leader shows they are committed.</para>
/// </summary>
public sealed class ZabPeer
{
    private readonly List<ZabAction> _outbox = new();
    private readonly Election _election;
    private LeaderRole? _leader;
    private LearnerRole? _learner;

    public ZabPeer(long id, QuorumConfig config, ZabSettings settings, DurableState durable)
    {
        settings.Validate();
        if (!config.Contains(id)) throw new ArgumentException($"server {id} is not in the ensemble");
        if (durable.CurrentEpoch > durable.AcceptedEpoch)
            throw new ArgumentException($"currentEpoch {durable.CurrentEpoch} is above acceptedEpoch {durable.AcceptedEpoch}");
        Id = id;
        Config = config;
        Settings = settings;
        AcceptedEpoch = durable.AcceptedEpoch;
        CurrentEpoch = durable.CurrentEpoch;
        History = new History(durable.SnapshotZxid, durable.Log);
        Durable = History.Last;
        Applied = Commit = durable.SnapshotZxid;
        _election = new Election(id, config);
    }

    public long Id { get; }
    public QuorumConfig Config { get; }
    public ZabSettings Settings { get; }
    public PeerState Role { get; private set; } = PeerState.Looking;

    /// <summary>True while this node is synced with an established leader (or is one) and may serve clients.</summary>
    public bool IsServing => _leader?.Established == true || _learner?.Serving == true;

    /// <summary>The leader's view of its learners; null unless this node leads.</summary>
    public LearnerCounts? Learners => _leader?.Counts;

    /// <summary>The leader this node follows or is; null while looking.</summary>
    public long? LeaderId => _leader != null ? Id : _learner?.Leader;

    /// <summary>The epoch being led or followed; the current epoch while looking.</summary>
    public int Epoch => _leader?.Epoch ?? _learner?.Epoch ?? CurrentEpoch;

    public int AcceptedEpoch { get; internal set; }
    public int CurrentEpoch { get; internal set; }
    public History History { get; }
    public Zxid LastZxid => History.Last;
    public Zxid Durable { get; internal set; }
    public Zxid Commit { get; internal set; }
    public Zxid Applied { get; internal set; }

    /// <summary>The vote this node was elected or joined with; what it tells looking peers.</summary>
    public Vote CurrentVote { get; private set; }

    /// <summary>Ticks since start; all timeouts compare against it.</summary>
    internal long Now { get; private set; }

    internal long HandshakeCounter { get; set; }

    /// <summary>The zxid the next <see cref="Propose"/> would get, when this node is a serving leader.</summary>
    public Zxid? NextZxid => _leader?.NextZxid;

    /// <summary>Enters the first election.</summary>
    public void Start() => LookForLeader();

    public void Tick()
    {
        Now++;
        if (_leader != null) _leader.Tick();
        else if (_learner != null) _learner.Tick();
        else if (_election.Finalize() is { } vote) Decide(vote);
        else if (Now % Settings.ElectionRetryTicks == 0) _election.Broadcast(_outbox);
    }

    public void Step(long from, PeerMessage message)
    {
        if (from == Id || !Config.Contains(from)) return;
        if (message is Notification n)
        {
            ReceiveNotification(from, n);
            return;
        }
        if (_leader != null) _leader.Receive(from, message);
        else _learner?.Receive(from, message);
    }

    /// <summary>The host's log made durable every write issued up to the Persist that held <paramref name="zxid"/>.</summary>
    public void Persisted(Zxid zxid)
    {
        // A report about a txn no longer in the history refers to writes a truncation has since superseded.
        if (zxid > Durable && zxid <= History.Last && History.Contains(zxid)) Durable = zxid;
        _leader?.OnPersisted();
        _learner?.OnPersisted();
        ApplyReady();
    }

    /// <summary>
    /// What <see cref="Propose"/> would answer now, without side effects, so the host prepares a txn (and its
    /// zxid) only when it will be proposed. Rollover: call Propose anyway; it steps down for a new epoch.
    /// </summary>
    public ProposeStatus Admission => _leader?.Admission ?? ProposeStatus.NotLeader;

    /// <summary>
    /// The host lost its link with a peer (the peer's process or host probably died). A learner that loses its
    /// leader looks for a new one at once instead of waiting syncLimit ticks; anything else ignores it. Always
    /// safe: leaving a role for an election never breaks an invariant.
    /// </summary>
    public void PeerLost(long id)
    {
        if (_learner is { } learner && learner.Leader == id) LookForLeader();
    }

    public ProposeResult Propose(byte[] payload) =>
        _leader?.Propose(payload) ?? new ProposeResult(ProposeStatus.NotLeader, Zxid.Zero);

    /// <summary>The actions produced since the last call, in the order they must be carried out.</summary>
    public IReadOnlyList<ZabAction> TakeActions()
    {
        if (_outbox.Count == 0) return [];
        var actions = _outbox.ToArray();
        _outbox.Clear();
        return actions;
    }

    // ---- shared by the roles ----

    internal void Emit(ZabAction action) => _outbox.Add(action);

    internal void SaveEpochs() => Emit(new SaveEpochs(AcceptedEpoch, CurrentEpoch));

    internal void AdvanceCommit(Zxid zxid)
    {
        if (zxid > History.Last) zxid = History.Last;
        if (zxid <= Commit) return;
        Commit = zxid;
        ApplyReady();
    }

    /// <summary>Applies, in zxid order, every txn that is both committed and durable here.</summary>
    internal void ApplyReady()
    {
        var limit = Commit < Durable ? Commit : Durable;
        while (Applied < limit)
        {
            var next = History.Next(Applied);
            if (next is null || next.Zxid > limit) break;
            Emit(new Apply(next));
            Applied = next.Zxid;
        }
        var retain = _leader?.RetainFloor is { } floor && floor < Applied ? floor : Applied;
        History.Trim(retain, Settings.CommittedLogMax);
    }

    internal void TruncateAfter(Zxid zxid)
    {
        if (zxid < Applied)
            throw new InvalidOperationException($"ZAB invariant broken: truncating to {zxid} would drop applied txns up to {Applied}");
        History.TruncateAfter(zxid);
        Emit(new Truncate(zxid));
        if (Durable > zxid) Durable = zxid;
        if (Commit > zxid) Commit = zxid;
    }

    internal void InstallSnapshot(Zxid zxid, byte[] snapshot)
    {
        Emit(new InstallSnapshot(zxid, snapshot));
        History.Reset(zxid);
        Applied = Durable = Commit = zxid;
    }

    internal void BecameServing(PeerState role, int epoch, long leader)
    {
        Role = role;
        Emit(new RoleChanged(role, epoch, leader));
    }

    /// <summary>Leaves any role and starts an election round.</summary>
    internal void LookForLeader()
    {
        bool wasServing = IsServing || Now == 0;
        _leader = null;
        _learner = null;
        Role = PeerState.Looking;
        if (wasServing) Emit(new RoleChanged(PeerState.Looking, CurrentEpoch, -1));
        var decided = _election.Start(new Vote(Id, History.Last, CurrentEpoch), _outbox);
        if (decided is { } v) Decide(v);
    }

    private void ReceiveNotification(long from, Notification n)
    {
        if (_leader == null && _learner == null)
        {
            if (_election.Receive(from, n, _outbox) is { } v) Decide(v);
            return;
        }
        // A leader still in discovery or sync that hears a looking voter hold a better vote steps back into the
        // election: it has no quorum yet, and the ensemble converges on the best history instead of splitting
        // between leaders whose initLimit timeouts keep missing each other.
        if (n.State == PeerState.Looking && _leader is { Established: false } && Config.IsVoter(from) && n.Vote > CurrentVote)
        {
            LookForLeader();
            if (_election.Receive(from, n, _outbox) is { } v) Decide(v);
            return;
        }
        // Established (or joining): tell a looking peer whom we follow, so it can join without a new round.
        if (n.State == PeerState.Looking)
        {
            var state = _leader != null ? PeerState.Leading : _learner!.IsObserver ? PeerState.Observing : PeerState.Following;
            // Once the epoch is known, (leader, epoch) names the leadership; election votes of its members may differ.
            var vote = Epoch is var e && (_leader?.Epoch ?? _learner?.Epoch) != null
                ? new Vote(LeaderId!.Value, Zxid.Zero, e) : CurrentVote;
            Emit(new Send(from, new Notification(vote, _election.Round, state)));
        }
    }

    private void Decide(Vote vote)
    {
        CurrentVote = vote;
        if (vote.Leader == Id)
        {
            Role = PeerState.Leading;
            _leader = new LeaderRole(this);
            _leader.Begin();
        }
        else
        {
            bool observer = Config.IsObserver(Id);
            Role = observer ? PeerState.Observing : PeerState.Following;
            _learner = new LearnerRole(this, vote.Leader, observer);
            _learner.Begin();
        }
    }
}
