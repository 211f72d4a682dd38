// One simulated server: the production ZabPeer with a simulated disk and state machine, carrying out its actions.
using Coordinator.Consensus;
using Coordinator.Core;

namespace Coordinator.Consensus.Tests.Simulation;

public sealed class SimNode
{
    private readonly Simulation _sim;
    private readonly Dictionary<Zxid, byte[]> _proposedHere = new();

    public SimNode(Simulation sim, long id, DurableState initial)
    {
        _sim = sim;
        Id = id;
        State = new SimState();
        Disk = new SimDisk(initial, State);
        Peer = NewPeer(initial);
    }

    public long Id { get; }
    public bool Up { get; private set; } = true;
    public int Incarnation { get; private set; }
    public ZabPeer Peer { get; private set; }
    public SimDisk Disk { get; }
    public SimState State { get; private set; }
    public bool SyncScheduled { get; set; }
    public bool IsServingLeader => Up && Peer.Role == PeerState.Leading && Peer.IsServing;
    private long _appliedSinceSnapshot;

    private ZabPeer NewPeer(DurableState durable) => new(Id, _sim.Config, _sim.Settings, durable, Incarnation);

    public void Start() => Run(p => p.Start());

    public void Run(Action<ZabPeer> step)
    {
        if (!Up) return;
        step(Peer);
        Execute(Peer.TakeActions());
        CheckPointers();
    }

    public ProposeResult Propose(byte[] payload)
    {
        var result = Peer.Propose(payload);
        if (result.Status == ProposeStatus.Proposed) _proposedHere[result.Zxid] = payload;
        Execute(Peer.TakeActions());
        CheckPointers();
        return result;
    }

    /// <summary>After every step: the core applied exactly what the host holds, and only committed, durable txns.</summary>
    private void CheckPointers()
    {
        var p = Peer;
        if (State.Zxid != p.Applied) throw new SimulationFailure($"node {Id}: the state is at {State.Zxid}, the core says applied {p.Applied}");
        if (p.Applied > p.Commit || p.Applied > p.Durable || p.Durable > p.LastZxid || p.History.Base > p.Applied)
            throw new SimulationFailure($"node {Id}: base {p.History.Base} applied {p.Applied} commit {p.Commit} durable {p.Durable} last {p.LastZxid}");
        if (Disk.CurrentEpoch != p.CurrentEpoch || Disk.AcceptedEpoch != p.AcceptedEpoch || p.CurrentEpoch > p.AcceptedEpoch)
            throw new SimulationFailure($"node {Id}: epochs on disk {Disk.AcceptedEpoch}/{Disk.CurrentEpoch}, in the core {p.AcceptedEpoch}/{p.CurrentEpoch}");
    }

    public void Crash()
    {
        Disk.Crash(_sim.Random);
        Up = false;
        Incarnation++;
        SyncScheduled = false;
        _proposedHere.Clear();
    }

    public void Restart()
    {
        var durable = Disk.Recover();
        State = SimState.Deserialize(Disk.Snapshot);
        if (State.Zxid != durable.SnapshotZxid) throw new SimulationFailure($"node {Id}: snapshot file and state disagree");
        Peer = NewPeer(durable);
        Up = true;
        Start();
    }

    public void DiskSynced()
    {
        SyncScheduled = false;
        var last = Disk.Sync();
        if (last is { } z) Run(p => p.Persisted(z));
    }

    private void Execute(IReadOnlyList<ZabAction> actions)
    {
        foreach (var action in actions)
        {
            if (Simulation.Verbose && action is not Send) _sim.Trace($"node {Id} does {action}");
            if (action is Truncate or InstallSnapshot or SendWithSnapshot or RoleChanged) _sim.Count(action.GetType().Name);
            switch (action)
            {
                case Send s:
                    _sim.Send(Id, s.To, PeerMessageCodec.Encode(s.Message));
                    break;
                case SendWithSnapshot s:
                    if (State.Zxid != s.Message.From)
                        throw new SimulationFailure($"node {Id} asked for a snapshot at {s.Message.From} but is at {State.Zxid}");
                    _sim.Send(Id, s.To, PeerMessageCodec.Encode(s.Message with { Snapshot = State.Serialize() }));
                    break;
                case Persist p:
                    foreach (var txn in p.Txns) Disk.Append(txn);
                    _sim.ScheduleDiskSync(this);
                    break;
                case Truncate t:
                    Disk.Truncate(t.After);
                    break;
                case InstallSnapshot i:
                    State = SimState.Deserialize(i.Snapshot);
                    if (State.Zxid != i.Zxid) throw new SimulationFailure($"node {Id}: snapshot bytes say {State.Zxid}, action {i.Zxid}");
                    Disk.InstallSnapshot(i.Zxid, i.Snapshot);
                    _sim.Invariants.Installed(Id, State);
                    break;
                case SaveEpochs e:
                    Disk.AcceptedEpoch = e.AcceptedEpoch;
                    Disk.CurrentEpoch = e.CurrentEpoch;
                    break;
                case Apply a:
                    State.Apply(a.Txn);
                    _sim.Invariants.Applied(Id, State);
                    if (_proposedHere.Remove(a.Txn.Zxid, out var mine) && mine.AsSpan().SequenceEqual(a.Txn.Payload))
                        _sim.Acknowledged(this, a.Txn);
                    if (++_appliedSinceSnapshot >= _sim.SnapshotEvery)
                    {
                        _appliedSinceSnapshot = 0;
                        Disk.TakeSnapshot(State);
                    }
                    break;
                case RoleChanged r:
                    _sim.Trace($"node {Id} role {r.Role} epoch {r.Epoch} leader {r.Leader}");
                    if (r.Role == PeerState.Looking) _proposedHere.Clear();
                    if (r.Role == PeerState.Leading) _sim.Invariants.Established(Id, r.Epoch, Peer);
                    break;
            }
        }
    }
}
