// The simulated disk: durable state plus writes not yet synced, which a crash loses (all but a random prefix).
using Coordinator.Consensus;
using Coordinator.Core;

namespace Coordinator.Consensus.Tests.Simulation;

public sealed class SimDisk
{
    private abstract record Write;
    private sealed record AppendWrite(LoggedTxn Txn) : Write;
    private sealed record TruncateWrite(Zxid After) : Write;

    private readonly List<Write> _pending = new();
    private readonly List<LoggedTxn> _log = new();

    public SimDisk(DurableState initial, SimState state)
    {
        AcceptedEpoch = initial.AcceptedEpoch;
        CurrentEpoch = initial.CurrentEpoch;
        SnapshotZxid = initial.SnapshotZxid;
        Snapshot = state.Serialize();
        _log.AddRange(initial.Log);
    }

    public int AcceptedEpoch { get; set; }
    public int CurrentEpoch { get; set; }
    public Zxid SnapshotZxid { get; private set; }
    public byte[] Snapshot { get; private set; }
    public bool HasPending => _pending.Count > 0;

    public void Append(LoggedTxn txn) => _pending.Add(new AppendWrite(txn));
    public void Truncate(Zxid after) => _pending.Add(new TruncateWrite(after));

    /// <summary>Makes every pending write durable; returns the last zxid appended, as a log flusher reports it.</summary>
    public Zxid? Sync() => Flush(_pending.Count);

    /// <summary>Power loss: the writes reach the platter in order, but only a random prefix of them does.</summary>
    public void Crash(Random random)
    {
        Flush(random.Next(_pending.Count + 1));
        _pending.Clear();
    }

    public void InstallSnapshot(Zxid zxid, byte[] snapshot)
    {
        _pending.Clear();
        _log.Clear();
        SnapshotZxid = zxid;
        Snapshot = snapshot;
    }

    /// <summary>The host snapshots its applied state; the log up to it is purged.</summary>
    public void TakeSnapshot(SimState state)
    {
        SnapshotZxid = state.Zxid;
        Snapshot = state.Serialize();
        _log.RemoveAll(t => t.Zxid <= state.Zxid);
    }

    public DurableState Recover() =>
        new(AcceptedEpoch, CurrentEpoch, SnapshotZxid, _log.Where(t => t.Zxid > SnapshotZxid).ToList());

    private Zxid? Flush(int count)
    {
        Zxid? last = null;
        foreach (var w in _pending.Take(count))
        {
            switch (w)
            {
                case AppendWrite a:
                    if (_log.Count > 0 && a.Txn.Zxid <= _log[^1].Zxid)
                        throw new SimulationFailure($"log append {a.Txn.Zxid} after {_log[^1].Zxid}");
                    _log.Add(a.Txn);
                    last = a.Txn.Zxid;
                    break;
                case TruncateWrite t:
                    _log.RemoveAll(x => x.Zxid > t.After);
                    break;
            }
        }
        _pending.RemoveRange(0, count);
        return last;
    }
}
