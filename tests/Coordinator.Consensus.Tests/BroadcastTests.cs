// Broadcast without faults: every write commits once, everywhere, in order, in one epoch.
using Coordinator.Consensus.Tests.Simulation;

namespace Coordinator.Consensus.Tests;

public sealed class BroadcastTests
{
    [Theory]
    [InlineData(3, 0)]
    [InlineData(5, 1)]
    public void Without_faults_one_leader_commits_every_write_on_every_node(int voters, int observers)
    {
        var sim = new Simulation.Simulation(1, new SimOptions
        {
            Voters = voters, Observers = observers, Faults = false, FaultMs = 3000, WriteEveryMs = 5,
        });
        sim.Run();
        Assert.Single(sim.Invariants.Leaders);
        Assert.True(sim.Invariants.Acknowledged.Count > 200, $"{sim.Invariants.Acknowledged.Count} writes acknowledged");
        var states = sim.Nodes.Values.Select(n => (n.State.Count, n.State.Digest)).Distinct().ToList();
        Assert.Single(states);
        Assert.True(states[0].Count >= sim.Invariants.Acknowledged.Count);
    }

    [Fact]
    public void A_minority_of_voters_down_does_not_stop_commits()
    {
        var sim = new Simulation.Simulation(2, new SimOptions { Voters = 5, Faults = false, FaultMs = 100_000, WriteEveryMs = 10 });
        sim.Start(4, 5);
        sim.RunFor(3000);
        Assert.True(sim.Invariants.Acknowledged.Count > 50);
        Assert.True(sim.Nodes[1].State.Count > 50 && sim.Nodes[2].State.Count > 50 && sim.Nodes[3].State.Count > 50);
    }

    [Fact]
    public void A_leader_cut_off_from_its_quorum_steps_down_within_sync_limit()
    {
        var sim = new Simulation.Simulation(3, new SimOptions { Voters = 3, Faults = false, FaultMs = 100_000, WriteEveryMs = 0 });
        sim.Start();
        sim.RunFor(1000);
        var leader = sim.Nodes.Values.Single(n => n.IsServingLeader);
        foreach (var other in sim.Nodes.Keys.Where(id => id != leader.Id)) sim.Cut(leader.Id, other);
        // syncLimit is 5 ticks of 50 ms: give it 6 ticks plus a tick of phase.
        sim.RunFor(7 * 50);
        Assert.False(leader.Peer.IsServing);
        sim.RunFor(1000);
        var successor = sim.Nodes.Values.Single(n => n.IsServingLeader);
        Assert.NotEqual(leader.Id, successor.Id);
    }
}

public sealed class FollowerFailoverTests
{
    [Fact]
    public void A_follower_that_loses_its_leader_looks_again_and_rejoins_when_it_can()
    {
        var sim = new Simulation.Simulation(8, new SimOptions { Voters = 3, Faults = false, FaultMs = 100_000, WriteEveryMs = 20 });
        sim.Start();
        sim.RunFor(1000);
        var leader = sim.Nodes.Values.Single(n => n.IsServingLeader);
        var follower = sim.Nodes.Values.First(n => n.Id != leader.Id);
        sim.Cut(leader.Id, follower.Id);
        sim.RunFor(7 * 50);
        Assert.False(follower.Peer.IsServing);
        // The leader keeps its quorum with the third node and keeps committing.
        Assert.True(leader.IsServingLeader);
        long before = leader.State.Count;
        sim.RunFor(500);
        Assert.True(leader.State.Count > before);
        sim.HealAndCheckLiveness();
        Assert.Equal(leader.State.Digest, follower.State.Digest);
    }
}

public sealed class BackPressureTests
{
    [Fact]
    public void A_leader_refuses_proposals_beyond_the_outstanding_limit_until_they_commit()
    {
        var sim = new Simulation.Simulation(6, new SimOptions
        {
            Voters = 3, Faults = false, WriteEveryMs = 0, FaultMs = 100_000,
            Settings = new SimOptions().Settings with { OutstandingProposalsMax = 3 },
        });
        sim.Start();
        sim.RunFor(1000);
        var leader = sim.Nodes.Values.Single(n => n.IsServingLeader);
        var results = Enumerable.Range(0, 4).Select(i => leader.Propose([(byte)i]).Status).ToList();
        Assert.Equal([ProposeStatus.Proposed, ProposeStatus.Proposed, ProposeStatus.Proposed, ProposeStatus.Busy], results);
        sim.RunFor(200);
        Assert.Equal(ProposeStatus.Proposed, leader.Propose([9]).Status);
    }
}
