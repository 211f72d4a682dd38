// DIFF, TRUNC or SNAP: how a leader chooses to bring a learner up to date.
using Coordinator.Core;

namespace Coordinator.Consensus.Tests;

public sealed class SyncPlannerTests
{
    private static LoggedTxn Txn(int epoch, int counter) => new(Zxid.Of(epoch, counter), []);

    /// <summary>The leader's history: (1,1..5) then (3,1..3), base 0, nothing trimmed.</summary>
    private static History Leader() => new(Zxid.Zero,
        [Txn(1, 1), Txn(1, 2), Txn(1, 3), Txn(1, 4), Txn(1, 5), Txn(3, 1), Txn(3, 2), Txn(3, 3)]);

    [Fact]
    public void A_learner_at_the_leaders_last_zxid_gets_an_empty_diff()
    {
        Assert.Equal(new SyncPlan(SyncMode.Diff, Zxid.Of(3, 3)), SyncPlanner.Plan(Zxid.Of(3, 3), Zxid.Of(3, 3), Leader(), Zxid.Of(3, 3)));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 3)]
    [InlineData(1, 5)]
    [InlineData(3, 2)]
    public void A_learner_whose_last_zxid_the_leader_holds_gets_a_diff_from_it(int epoch, int counter)
    {
        var last = Zxid.Of(epoch, counter);
        Assert.Equal(new SyncPlan(SyncMode.Diff, last), SyncPlanner.Plan(last, Zxid.Zero, Leader(), Zxid.Of(3, 3)));
    }

    [Fact]
    public void A_learner_with_more_of_an_epoch_than_the_leader_is_truncated_to_the_leaders_last_txn_of_it()
    {
        // It got (1,6) and (1,7) from epoch 1's leader, which never committed them.
        Assert.Equal(new SyncPlan(SyncMode.Trunc, Zxid.Of(1, 5)), SyncPlanner.Plan(Zxid.Of(1, 7), Zxid.Of(1, 2), Leader(), Zxid.Of(3, 3)));
        Assert.Equal(new SyncPlan(SyncMode.Trunc, Zxid.Of(3, 3)), SyncPlanner.Plan(Zxid.Of(3, 9), Zxid.Of(3, 1), Leader(), Zxid.Of(3, 3)));
    }

    [Fact]
    public void A_learner_whose_last_epoch_the_leader_never_saw_is_truncated_to_its_applied_zxid()
    {
        // Epoch 2's leader got (2,1..4) to this learner only; the learner had applied up to (1,4).
        Assert.Equal(new SyncPlan(SyncMode.Trunc, Zxid.Of(1, 4)), SyncPlanner.Plan(Zxid.Of(2, 4), Zxid.Of(1, 4), Leader(), Zxid.Of(3, 3)));
    }

    [Fact]
    public void A_learner_older_than_the_leaders_memory_gets_a_snapshot_of_the_applied_state()
    {
        var leader = Leader();
        leader.Trim(Zxid.Of(3, 1), keep: 2);   // keeps (1,5) and (3,1) of the applied txns; base becomes (1,4)
        Assert.Equal(Zxid.Of(1, 4), leader.Base);
        Assert.Equal(new SyncPlan(SyncMode.Snap, Zxid.Of(3, 1)), SyncPlanner.Plan(Zxid.Of(1, 2), Zxid.Of(1, 2), leader, Zxid.Of(3, 1)));
        Assert.Equal(new SyncPlan(SyncMode.Snap, Zxid.Of(3, 1)), SyncPlanner.Plan(Zxid.Zero, Zxid.Zero, leader, Zxid.Of(3, 1)));
        // The base itself is still a point the leader can diff from.
        Assert.Equal(new SyncPlan(SyncMode.Diff, Zxid.Of(1, 4)), SyncPlanner.Plan(Zxid.Of(1, 4), Zxid.Of(1, 4), leader, Zxid.Of(3, 1)));
    }

    [Fact]
    public void A_learner_with_an_unknown_epoch_and_an_applied_zxid_below_the_leaders_memory_gets_a_snapshot()
    {
        var leader = Leader();
        leader.Trim(Zxid.Of(3, 2), keep: 1);
        Assert.Equal(new SyncPlan(SyncMode.Snap, Zxid.Of(3, 2)), SyncPlanner.Plan(Zxid.Of(2, 4), Zxid.Of(1, 3), leader, Zxid.Of(3, 2)));
    }
}
