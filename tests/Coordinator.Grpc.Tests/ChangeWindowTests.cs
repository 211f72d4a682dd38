// The change window on its own: what it holds, where resumes may start, what a subscription gets, and overflow.
using Coordinator.Core;
using Coordinator.Jute.Records;
using Coordinator.Server.Changes;
using Coordinator.StateMachine;

namespace Coordinator.Grpc.Tests;

public sealed class ChangeWindowTests
{
    private static readonly IReadOnlyList<Acl> Open = Acl.OpenAclUnsafe;

    private static NodeChange Change(long zxid, string path, EventType type = EventType.NodeDataChanged) => new(zxid, type, path, Open);

    private static ChangeWindow Window(int capacity, long lastZxid = 0) => new(capacity, lastZxid, (_, _) => true);

    [Fact]
    public void The_floor_rises_as_the_oldest_changes_leave()
    {
        var w = Window(3, lastZxid: 10);
        Assert.Equal(10, w.FloorZxid);
        for (long z = 11; z <= 13; z++) w.Record(Change(z, "/a"));
        Assert.Equal((3, 10L), (w.Count, w.FloorZxid));
        w.Record(Change(14, "/a"));
        Assert.Equal((3, 11L), (w.Count, w.FloorZxid));

        var refused = w.Subscribe(new ChangeSubscription(1, "/a", false, 8), startZxid: 10, lastZxid: 14);
        Assert.Equal(SubscribeOutcome.OutOfRange, refused.Outcome);
        var ok = w.Subscribe(new ChangeSubscription(1, "/a", false, 8), startZxid: 11, lastZxid: 14);
        Assert.Equal([12L, 13L, 14L], ok.Backlog.Select(c => c.Zxid));
        var ahead = w.Subscribe(new ChangeSubscription(1, "/a", false, 8), startZxid: 15, lastZxid: 14);
        Assert.Equal(SubscribeOutcome.OutOfRange, ahead.Outcome);
    }

    [Fact]
    public void A_txn_with_several_changes_is_either_wholly_resumable_or_not_at_all()
    {
        var w = Window(3);
        w.Record(Change(1, "/a"));
        w.Record(Change(2, "/b"));
        w.Record(Change(2, "/c"));
        w.Record(Change(3, "/d"));   // evicts zxid 1
        w.Record(Change(4, "/e"));   // evicts half of zxid 2: resuming from 1 would miss /b
        Assert.Equal(2, w.FloorZxid);
        Assert.Equal(SubscribeOutcome.OutOfRange, w.Subscribe(new ChangeSubscription(1, "/", true, 8), 1, 4).Outcome);
        Assert.Equal([3L, 4L], w.Subscribe(new ChangeSubscription(1, "/", true, 8), 2, 4).Backlog.Select(c => c.Zxid));
    }

    [Fact]
    public void Subscriptions_match_like_persistent_and_recursive_watches()
    {
        var exact = new ChangeSubscription(1, "/a", recursive: false, 8);
        var tree = new ChangeSubscription(1, "/a", recursive: true, 8);
        var root = new ChangeSubscription(1, "/", recursive: true, 8);
        Assert.True(exact.Matches(Change(1, "/a", EventType.NodeChildrenChanged)));
        Assert.False(exact.Matches(Change(1, "/a/b")));
        Assert.True(tree.Matches(Change(1, "/a/b/c", EventType.NodeCreated)));
        Assert.False(tree.Matches(Change(1, "/ab")));
        Assert.False(tree.Matches(Change(1, "/a", EventType.NodeChildrenChanged)));
        Assert.True(root.Matches(Change(1, "/x")));
    }

    [Fact]
    public void Live_changes_follow_the_backlog_and_a_full_buffer_ends_the_subscription()
    {
        var w = Window(16);
        w.Record(Change(1, "/a"));
        var s = new ChangeSubscription(1, "/a", false, bufferMax: 2);
        var r = w.Subscribe(s, startZxid: 0, lastZxid: 1);
        Assert.Equal([1L], r.Backlog.Select(c => c.Zxid));
        w.Record(Change(2, "/a"));
        w.Record(Change(3, "/b"));   // not matched: does not count
        w.Record(Change(4, "/a"));
        Assert.False(s.Overflowed);
        Assert.Equal(1, w.SubscriptionCount);
        w.Record(Change(5, "/a"));   // third buffered change: over the limit
        Assert.True(s.Overflowed);
        Assert.Equal(0, w.SubscriptionCount);
        var drained = new List<long>();
        while (s.Reader.TryRead(out var c)) drained.Add(c.Zxid);
        Assert.Equal([2L, 4L], drained);
        Assert.True(s.Reader.Completion.IsCompleted);
    }

    [Fact]
    public void Changes_the_session_may_not_read_are_left_out()
    {
        var secret = new List<Acl> { new(Perms: 31, new Id("digest", "alice:x")) };
        var w = new ChangeWindow(8, 0, (session, acl) => session == 7 || !ReferenceEquals(acl, secret));
        w.Record(new NodeChange(1, EventType.NodeCreated, "/s", secret));
        w.Record(new NodeChange(2, EventType.NodeCreated, "/p", Open));
        Assert.Equal(["/p"], w.Subscribe(new ChangeSubscription(1, "/", true, 8), 0, 2).Backlog.Select(c => c.Path));
        Assert.Equal(["/s", "/p"], w.Subscribe(new ChangeSubscription(7, "/", true, 8), 0, 2).Backlog.Select(c => c.Path));
    }

    [Fact]
    public void A_window_of_zero_keeps_nothing_but_live_watches_still_work()
    {
        var w = Window(0);
        var s = new ChangeSubscription(1, "/a", false, 8);
        Assert.Equal(SubscribeOutcome.Subscribed, w.Subscribe(s, null, 0).Outcome);
        w.Record(Change(1, "/a"));
        Assert.Equal(1, w.FloorZxid);
        Assert.True(s.Reader.TryRead(out var c) && c.Zxid == 1);
        Assert.Equal(SubscribeOutcome.OutOfRange, w.Subscribe(new ChangeSubscription(1, "/a", false, 8), 0, 1).Outcome);
    }
}
