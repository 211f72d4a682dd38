// A deterministic simulation of a whole ensemble: simulated network, disks and clock, seeded faults, invariants.
using System.Text;
using Coordinator.Consensus;
using Coordinator.Core;

namespace Coordinator.Consensus.Tests.Simulation;

public sealed record SimOptions
{
    public int Voters { get; init; } = 3;
    public int Observers { get; init; }
    public bool Faults { get; init; } = true;
    /// <summary>Simulated ms of faults and client writes before the network heals and liveness is checked.</summary>
    public int FaultMs { get; init; } = 4000;
    /// <summary>After healing, a write must commit everywhere within this many simulated ms.</summary>
    public int LivenessMs { get; init; } = 20_000;
    public int TickMs { get; init; } = 50;
    public ZabSettings Settings { get; init; } = new()
    {
        InitLimitTicks = 10, SyncLimitTicks = 5, HandshakeRetryTicks = 4, CommittedLogMax = 20,
    };
    /// <summary>The durable state each node starts from; empty disks when null.</summary>
    public Func<long, DurableState>? Initial { get; init; }
    /// <summary>Mean ms between client writes while faults run; 0 writes nothing then.</summary>
    public int WriteEveryMs { get; init; } = 15;
}

/// <summary>
/// Runs the production <see cref="ZabPeer"/> of every node on one seeded event queue. The network delivers each
/// message after a random delay, in order per link unless a fault reorders it; faults also drop, duplicate,
/// partition, crash and restart. Everything random comes from one <see cref="Random"/>, so a seed replays exactly.
/// </summary>
public sealed class Simulation
{
    private readonly PriorityQueue<Action, (long Time, long Seq)> _events = new();
    private readonly Dictionary<(long, long), long> _linkClock = new();
    private readonly HashSet<(long, long)> _cut = new();
    private readonly Queue<string> _trace = new();
    private readonly SimOptions _options;
    private long _seq;
    private double _loss, _duplicate, _reorder;
    private bool _faultsOn;
    private int _writes;
    private int _faultGapMs;
    private int _syncMs = 15;
    private bool _healed;

    public Simulation(int seed, SimOptions options)
    {
        Seed = seed;
        _options = options;
        Random = new Random(seed);
        Settings = options.Settings;
        var voters = Enumerable.Range(1, options.Voters).Select(i => (long)i).ToList();
        var observers = Enumerable.Range(options.Voters + 1, options.Observers).Select(i => (long)i).ToList();
        Config = new QuorumConfig(voters, observers);
        foreach (var id in Config.All) Nodes[id] = new SimNode(this, id, options.Initial?.Invoke(id) ?? DurableState.Empty);
        SnapshotEvery = Random.Next(5, 40);
    }

    public int Seed { get; }
    public Random Random { get; }
    public QuorumConfig Config { get; }
    public ZabSettings Settings { get; }
    public SortedDictionary<long, SimNode> Nodes { get; } = new();
    public Invariants Invariants { get; } = new();
    public long Now { get; private set; }
    public int SnapshotEvery { get; }
    public long MessagesSent { get; private set; }
    public long Steps { get; private set; }

    /// <summary>How much each kind of action and fault happened: shows what a run of seeds covered.</summary>
    public Dictionary<string, long> Counts { get; } = new();

    public void Count(string what) => Counts[what] = Counts.GetValueOrDefault(what) + 1;

    public void Trace(string line)
    {
        _trace.Enqueue($"{Now,7}ms {line}");
        if (_trace.Count > TraceLines) _trace.Dequeue();
    }

    /// <summary>ZAB_TRACE=1 traces every message and action (for replaying a failing seed) and keeps more lines.</summary>
    public static readonly bool Verbose = Environment.GetEnvironmentVariable("ZAB_TRACE") == "1";
    private static int TraceLines => Verbose ? 3000 : 60;

    public string TraceTail => string.Join("\n", _trace);

    // ---- the world ----

    public void Send(long from, long to, byte[] frame)
    {
        MessagesSent++;
        if (_cut.Contains((from, to))) return;
        if (_faultsOn && Random.NextDouble() < _loss) return;
        int copies = _faultsOn && Random.NextDouble() < _duplicate ? 2 : 1;
        for (int i = 0; i < copies; i++)
        {
            long at = Now + 1 + Random.Next(10);
            if (_faultsOn && Random.NextDouble() < _reorder) at += Random.Next(50, 300);
            else
            {
                // TCP: a link delivers in order.
                at = Math.Max(at, _linkClock.GetValueOrDefault((from, to)));
                _linkClock[(from, to)] = at;
            }
            Schedule(at, () => Deliver(from, to, frame));
        }
    }

    private void Deliver(long from, long to, byte[] frame)
    {
        var node = Nodes[to];
        if (!node.Up || _cut.Contains((from, to))) return;
        var message = PeerMessageCodec.Decode(frame);
        if (Verbose) Trace($"{from}->{to} {Show(message)}");
        node.Run(p => p.Step(from, message));
    }

    private static string Show(PeerMessage m) => m switch
    {
        Proposal p => $"Proposal e{p.Epoch} prev {p.PrevZxid} {p.Txn.Zxid}",
        Inform i => $"Inform e{i.Epoch} prev {i.PrevZxid} {i.Txn.Zxid}",
        NewLeader n => $"NewLeader e{n.Epoch} hs{n.Handshake} {n.Mode} from {n.From} txns [{string.Join(",", n.Txns.Select(t => t.Zxid))}] commit {n.CommitZxid}",
        _ => m.ToString(),
    };

    public void ScheduleDiskSync(SimNode node)
    {
        if (node.SyncScheduled) return;
        node.SyncScheduled = true;
        int incarnation = node.Incarnation;
        Schedule(Now + 1 + Random.Next(_syncMs), () =>
        {
            if (node.Up && node.Incarnation == incarnation) node.DiskSynced();
        });
    }

    public void Acknowledged(SimNode leader, LoggedTxn txn)
    {
        Invariants.Acknowledge(txn.Zxid, txn.Payload);
        Count("acknowledged");
        Trace($"node {leader.Id} acknowledged {txn.Zxid}");
    }

    /// <summary>Cuts both directions between two nodes until <see cref="HealAndCheckLiveness"/>.</summary>
    public void Cut(long a, long b)
    {
        _cut.Add((a, b));
        _cut.Add((b, a));
    }

    private void Schedule(long at, Action action) => _events.Enqueue(action, (at, _seq++));

    // ---- running ----

    /// <summary>Runs the faults, heals, and checks that a write then commits everywhere; throws on any failure.</summary>
    public void Run() => Guard(() =>
    {
        Begin();
        RunUntil(_options.FaultMs);
        Heal();
        CheckLiveness();
    });

    /// <summary>Starts the nodes (except those listed down), the faults and the client writes.</summary>
    public void Start(params long[] down) => Guard(() => Begin(down));

    /// <summary>Runs the event queue for <paramref name="ms"/> simulated ms.</summary>
    public void RunFor(long ms) => Guard(() => RunUntil(Now + ms));

    /// <summary>Stops the faults, restarts every node that is down, and waits for a write to commit everywhere.</summary>
    public void HealAndCheckLiveness() => Guard(() =>
    {
        Heal();
        CheckLiveness();
    });

    private void Guard(Action run)
    {
        try
        {
            run();
        }
        catch (Exception e) when (e is SimulationFailure or InvalidOperationException)
        {
            throw new SimulationFailure($"{Describe()}: {e.Message}\n{e.GetType().Name} at t={Now}ms\nlast events:\n{TraceTail}");
        }
    }

    public string Describe() =>
        $"seed {Seed} ({_options.Voters} voters, {_options.Observers} observers, loss {_loss:F2}, dup {_duplicate:F2}, " +
        $"reorder {_reorder:F2}, disk sync up to {_syncMs}ms)";

    private void Begin(params long[] down)
    {
        foreach (var node in Nodes.Values)
        {
            long offset = Random.Next(_options.TickMs);
            ScheduleTicks(node, offset);
            if (down.Contains(node.Id)) node.Crash();
            else node.Start();
        }
        if (_options.Faults) StartFaults();
        if (_options.WriteEveryMs > 0) ScheduleWrites();
    }

    private void ScheduleTicks(SimNode node, long at) => Schedule(at, () =>
    {
        if (node.Up) node.Run(p => p.Tick());
        ScheduleTicks(node, Now + _options.TickMs);
    });

    private void RunUntil(long end)
    {
        while (_events.TryPeek(out _, out var key) && key.Time <= end)
        {
            var action = _events.Dequeue();
            Now = key.Time;
            Steps++;
            action();
        }
        Now = end;
    }

    private void StartFaults()
    {
        _faultsOn = true;
        _loss = Random.NextDouble() * 0.1;
        _duplicate = Random.NextDouble() * 0.05;
        _reorder = Random.NextDouble() * 0.05;
        _faultGapMs = Random.Next(300, 1500);
        // Some disks are slow to sync, which widens the window in which a crash loses acknowledged-looking writes.
        _syncMs = Random.Next(2) == 0 ? 15 : Random.Next(15, 150);
        ScheduleFault(Random.Next(100, 400));
    }

    private void CrashAndRestart(SimNode node)
    {
        if (!node.Up) return;
        Count("crash");
        Trace($"crash node {node.Id}");
        node.Crash();
        // The others' links to it break (as TCP reports a dead process), each noticed after its own delay.
        foreach (var other in Nodes.Values.Where(n => n.Id != node.Id))
        {
            Schedule(Now + Random.Next(0, 50), () =>
            {
                if (other.Up) other.Run(p => p.PeerLost(node.Id));
            });
        }
        Schedule(Now + Random.Next(100, 1500), () =>
        {
            if (node.Up || !_faultsOn) return;
            Trace($"restart node {node.Id}");
            node.Restart();
        });
    }

    private void ScheduleFault(long at) => Schedule(at, () =>
    {
        if (!_faultsOn) return;
        int kind = Random.Next(5);
        var ids = Nodes.Keys.ToList();
        if (kind == 0)
        {
            CrashAndRestart(Nodes[ids[Random.Next(ids.Count)]]);
        }
        else if (kind == 1)
        {
            // The leader fails (the case that matters most), sometimes with the node that acked alongside it.
            foreach (var leader in Nodes.Values.Where(n => n.IsServingLeader).ToList()) CrashAndRestart(leader);
            if (Random.Next(2) == 0) CrashAndRestart(Nodes[ids[Random.Next(ids.Count)]]);
        }
        else if (kind == 4)
        {
            // A power failure takes several nodes at the same moment.
            foreach (var id in ids.Where(_ => Random.Next(2) == 0)) CrashAndRestart(Nodes[id]);
        }
        else if (kind == 2)
        {
            var side = ids.Where(_ => Random.Next(2) == 0).ToHashSet();
            Count("partition");
            Trace($"partition {{{string.Join(",", side)}}} from the rest");
            foreach (var a in ids)
                foreach (var b in ids)
                    if (side.Contains(a) != side.Contains(b)) _cut.Add((a, b));
            Schedule(Now + Random.Next(200, 2000), () => { if (_faultsOn) { Trace("partition heals"); _cut.Clear(); } });
        }
        else
        {
            // One-way loss: a node hears but is not heard (an asymmetric partition).
            long a = ids[Random.Next(ids.Count)];
            Trace($"node {a} cannot send");
            foreach (var b in ids) if (b != a) _cut.Add((a, b));
            Schedule(Now + Random.Next(200, 1500), () => { if (_faultsOn) { Trace("one-way loss heals"); _cut.Clear(); } });
        }
        ScheduleFault(Now + Random.Next(100, _faultGapMs));
    });

    private void ScheduleWrites() => Schedule(Now + 1 + Random.Next(2 * _options.WriteEveryMs), () =>
    {
        if (Now > _options.FaultMs || _healed) return;
        // Writes go to whoever believes it leads; a deposed leader may still take some, and must never commit them alone.
        foreach (var node in Nodes.Values.Where(n => n.IsServingLeader).ToList())
            node.Propose(Encoding.UTF8.GetBytes($"w{++_writes}@{node.Id}"));
        ScheduleWrites();
    });

    private void Heal()
    {
        // Client writes stop too, so the nodes can be seen to converge on one state.
        _healed = true;
        _faultsOn = false;
        _cut.Clear();
        Trace("faults stop");
        foreach (var node in Nodes.Values.Where(n => !n.Up))
        {
            Trace($"restart node {node.Id}");
            node.Restart();
        }
    }

    private void CheckLiveness()
    {
        long deadline = Now + _options.LivenessMs;
        Zxid? probe = null;
        int attempt = 0;
        while (Now < deadline)
        {
            RunUntil(Now + _options.TickMs);
            var leader = Nodes.Values.FirstOrDefault(n => n.IsServingLeader);
            if (probe is null)
            {
                if (leader == null) continue;
                var result = leader.Propose(Encoding.UTF8.GetBytes($"probe{++attempt}"));
                if (result.Status == ProposeStatus.Proposed) probe = result.Zxid;
                continue;
            }
            if (!Invariants.Acknowledged.ContainsKey(probe.Value))
            {
                // The probe's leader may have failed before committing it: try again through the next one.
                if (leader == null || leader.Peer.Epoch != probe.Value.Epoch) probe = null;
                continue;
            }
            if (Converged(probe.Value)) return;
        }
        var states = string.Join("; ", Nodes.Values.Select(n =>
            $"node {n.Id} {n.Peer.Role} vote {n.Peer.CurrentVote} serving={n.Peer.IsServing} epoch {n.Peer.Epoch} last {n.Peer.LastZxid} applied {n.State.Zxid}"));
        throw new SimulationFailure($"no progress {_options.LivenessMs}ms after faults stopped (probe {probe}): {states}");
    }

    /// <summary>Every node serves and holds the same state, which includes the probe and every acknowledged txn.</summary>
    private bool Converged(Zxid probe)
    {
        var first = Nodes.Values.First();
        foreach (var n in Nodes.Values)
        {
            if (!n.Peer.IsServing || n.State.Zxid < probe) return false;
            if (n.State.Count != first.State.Count || n.State.Digest != first.State.Digest) return false;
        }
        foreach (var zxid in Invariants.Acknowledged.Keys)
            if (zxid > first.State.Zxid) throw new SimulationFailure($"acknowledged txn {zxid} is missing after convergence");
        return true;
    }
}
