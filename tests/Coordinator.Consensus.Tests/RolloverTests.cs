// The zxid counter running out forces a new epoch through a new election, and nothing is lost or reordered.
using Coordinator.Consensus.Tests.Simulation;
using Coordinator.Core;

namespace Coordinator.Consensus.Tests;

public sealed class RolloverTests
{
    [Fact]
    public void A_used_up_counter_makes_the_leader_step_down_and_a_new_epoch_continue()
    {
        var sim = new Simulation.Simulation(21, new SimOptions
        {
            Voters = 3, Faults = false, WriteEveryMs = 10, FaultMs = 4000,
            Settings = new SimOptions().Settings with { ZxidCounterMax = 5 },
        });
        sim.Run();
        Assert.True(sim.Invariants.Leaders.Count >= 4, $"only {sim.Invariants.Leaders.Count} epochs: the counter should have run out repeatedly");
        Assert.True(sim.Invariants.Acknowledged.Count >= 10);
        Assert.All(sim.Invariants.Acknowledged.Keys, z => Assert.InRange((uint)z.Counter, 1u, 5u));
        // Every node holds the same state, with every acknowledged txn.
        var first = sim.Nodes.Values.First().State;
        Assert.All(sim.Nodes.Values, n => Assert.Equal((first.Count, first.Digest), (n.State.Count, n.State.Digest)));
    }

    [Fact]
    public void Propose_at_the_last_counter_answers_rollover_and_leaves_leadership()
    {
        var sim = new Simulation.Simulation(4, new SimOptions
        {
            Voters = 3, Faults = false, WriteEveryMs = 0,
            Settings = new SimOptions().Settings with { ZxidCounterMax = 2 },
        });
        sim.Start();
        sim.RunFor(1000);
        var leader = sim.Nodes.Values.Single(n => n.IsServingLeader);
        int epoch = leader.Peer.Epoch;
        Assert.Equal(Zxid.Of(epoch, 1), leader.Propose([1]).Zxid);
        Assert.Equal(Zxid.Of(epoch, 2), leader.Propose([2]).Zxid);
        Assert.Null(leader.Peer.NextZxid);
        var third = leader.Propose([3]);
        Assert.Equal(ProposeStatus.Rollover, third.Status);
        Assert.Equal(PeerState.Looking, leader.Peer.Role);
        sim.RunFor(2000);
        Assert.Contains(sim.Invariants.Leaders.Keys, e => e > epoch);
        Assert.All(sim.Nodes.Values, n => Assert.Equal(Zxid.Of(epoch, 2), n.State.Zxid));
    }

    [Fact]
    public void The_default_counter_limit_is_zookeepers()
    {
        Assert.Equal(0xfffffffeu, new ZabSettings().ZxidCounterMax);
        Assert.Throws<ArgumentException>(() => new ZabSettings { ZxidCounterMax = 0xffffffff }.Validate());
    }
}
