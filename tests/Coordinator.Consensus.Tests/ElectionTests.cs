// Fast leader election on whole ensembles without faults: who wins, and that observers never count.
using Coordinator.Consensus.Tests.Simulation;
using Coordinator.Core;

namespace Coordinator.Consensus.Tests;

public sealed class ElectionTests
{
    private static SimOptions Calm(int voters, int observers = 0, Func<long, DurableState>? initial = null) => new()
    {
        Voters = voters, Observers = observers, Faults = false, WriteEveryMs = 0, Initial = initial,
    };

    private static LoggedTxn Txn(int epoch, int counter) => new(Zxid.Of(epoch, counter), [(byte)epoch, (byte)counter]);

    private static DurableState Log(int epoch, params LoggedTxn[] txns) => new(epoch, epoch, Zxid.Zero, txns);

    private static long FirstLeader(Simulation.Simulation sim)
    {
        Assert.NotEmpty(sim.Invariants.Leaders);
        return sim.Invariants.Leaders[sim.Invariants.Leaders.Keys.Min()];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Equal_histories_elect_the_highest_id(int seed)
    {
        var sim = new Simulation.Simulation(seed, Calm(5));
        sim.Start();
        sim.RunFor(2000);
        Assert.Equal(5, FirstLeader(sim));
        Assert.Single(sim.Invariants.Leaders);
        Assert.All(sim.Nodes.Values, n => Assert.Equal(5L, n.Peer.LeaderId));
    }

    [Fact]
    public void The_longest_history_wins_over_a_higher_id()
    {
        var sim = new Simulation.Simulation(7, Calm(3, initial: id => id == 1
            ? Log(1, Txn(1, 1), Txn(1, 2), Txn(1, 3))
            : Log(1, Txn(1, 1))));
        sim.Start();
        sim.RunFor(2000);
        Assert.Equal(1, FirstLeader(sim));
        // The new leader commits its whole history: every node applies the three txns.
        Assert.All(sim.Nodes.Values, n => Assert.Equal(Zxid.Of(1, 3), n.State.Zxid));
    }

    [Fact]
    public void A_newer_epoch_wins_over_a_longer_log_and_the_longer_log_is_truncated()
    {
        // Node 1 synced with an epoch-3 leader whose history ended at (2,1); node 2 kept (2,2..5), never committed.
        var sim = new Simulation.Simulation(11, Calm(3, initial: id => id switch
        {
            1 => new DurableState(3, 3, Zxid.Zero, [Txn(1, 1), Txn(2, 1)]),
            2 => new DurableState(2, 2, Zxid.Zero, [Txn(1, 1), Txn(2, 1), Txn(2, 2), Txn(2, 3), Txn(2, 4), Txn(2, 5)]),
            _ => new DurableState(2, 2, Zxid.Zero, [Txn(1, 1)]),
        }));
        sim.Start();
        sim.RunFor(2000);
        Assert.Equal(1, FirstLeader(sim));
        Assert.True(sim.Counts.GetValueOrDefault("Truncate") >= 1, "node 2 should have been sent a TRUNC");
        Assert.All(sim.Nodes.Values, n =>
        {
            Assert.Equal(Zxid.Of(2, 1), n.State.Zxid);
            Assert.Null(n.Peer.History.Get(Zxid.Of(2, 2)));
        });
    }

    [Fact]
    public void An_observer_with_the_highest_id_and_history_never_leads()
    {
        var sim = new Simulation.Simulation(3, Calm(3, observers: 1, initial: id => id == 4
            ? Log(1, Txn(1, 1), Txn(1, 2))
            : Log(1, Txn(1, 1))));
        sim.Start();
        sim.RunFor(2000);
        Assert.Equal(3, FirstLeader(sim));
        Assert.Equal(PeerState.Observing, sim.Nodes[4].Peer.Role);
        Assert.True(sim.Nodes[4].Peer.IsServing);
    }

    [Fact]
    public void One_voter_and_an_observer_are_not_a_quorum_of_three_voters()
    {
        var sim = new Simulation.Simulation(5, Calm(3, observers: 1));
        sim.Start(2, 3);
        sim.RunFor(5000);
        Assert.Empty(sim.Invariants.Leaders);
        Assert.False(sim.Nodes[1].Peer.IsServing);
        Assert.False(sim.Nodes[4].Peer.IsServing);
        // The other two voters come back: the ensemble elects and commits.
        sim.HealAndCheckLiveness();
        Assert.NotEmpty(sim.Invariants.Leaders);
    }

    [Fact]
    public void A_restarted_node_joins_the_established_leader_without_a_new_epoch()
    {
        var sim = new Simulation.Simulation(9, Calm(3) with { WriteEveryMs = 20, FaultMs = 100_000 });
        sim.Start(1);
        sim.RunFor(2000);
        Assert.Single(sim.Invariants.Leaders);
        var epoch = sim.Invariants.Leaders.Keys.Single();
        sim.Nodes[1].Restart();
        sim.RunFor(2000);
        Assert.Single(sim.Invariants.Leaders);
        Assert.Equal(PeerState.Following, sim.Nodes[1].Peer.Role);
        Assert.Equal(epoch, sim.Nodes[1].Peer.Epoch);
        Assert.True(sim.Nodes[1].State.Count > 0, "the rejoined node caught up with the writes it missed");
    }
}
