// The safety properties checked after every step of a simulation.
using Coordinator.Consensus;
using Coordinator.Core;

namespace Coordinator.Consensus.Tests.Simulation;

/// <summary>
/// At most one leader per epoch; every node applies the same txns in the same order (the same digest after the
/// same number of txns); no txn acknowledged to a client is ever lost (every leader of a later epoch holds it).
/// </summary>
public sealed class Invariants
{
    private readonly Dictionary<int, long> _leaders = new();
    private readonly List<(Zxid Zxid, ulong Digest)> _reference = new();
    private readonly Dictionary<Zxid, ulong> _acknowledged = new();

    public IReadOnlyDictionary<Zxid, ulong> Acknowledged => _acknowledged;
    public int LeaderCount => _leaders.Count;
    public IReadOnlyDictionary<int, long> Leaders => _leaders;

    public void Applied(long node, SimState state)
    {
        var entry = (state.Zxid, state.Digest);
        long index = state.Count - 1;
        if (index < _reference.Count)
        {
            if (_reference[(int)index] != entry)
                throw new SimulationFailure($"node {node} applied txn #{state.Count} = {state.Zxid} digest {state.Digest:x}, " +
                    $"but another node applied {_reference[(int)index].Zxid} digest {_reference[(int)index].Digest:x} there");
        }
        else if (index == _reference.Count) _reference.Add(entry);
        else throw new SimulationFailure($"node {node} applied txn #{state.Count} but only {_reference.Count} exist");
    }

    public void Installed(long node, SimState state)
    {
        if (state.Count == 0) return;
        if (state.Count > _reference.Count || _reference[(int)state.Count - 1] != (state.Zxid, state.Digest))
            throw new SimulationFailure($"node {node} installed a snapshot at {state.Zxid} (#{state.Count}) that no node applied");
    }

    public void Acknowledge(Zxid zxid, byte[] payload) => _acknowledged[zxid] = SimState.PayloadHash(payload);

    public void Established(long node, int epoch, ZabPeer peer)
    {
        if (_leaders.TryGetValue(epoch, out var other) && other != node)
            throw new SimulationFailure($"two leaders in epoch {epoch}: {other} and {node}");
        _leaders[epoch] = node;
        foreach (var (zxid, hash) in _acknowledged)
        {
            // ZAB promises a new epoch's leader every txn committed in earlier epochs. (A slow leader may establish
            // an older epoch after a newer one committed: no voter of the newer epoch follows it, so it commits nothing.)
            if (zxid.Epoch >= epoch) continue;
            if (zxid <= peer.Applied) continue; // in its state, whose order the apply check covers
            var txn = peer.History.Get(zxid);
            if (txn == null || SimState.PayloadHash(txn.Payload) != hash)
                throw new SimulationFailure($"leader {node} of epoch {epoch} lost acknowledged txn {zxid}");
        }
    }
}
