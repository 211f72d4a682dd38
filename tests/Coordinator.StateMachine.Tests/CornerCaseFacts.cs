// Example-based corner cases, each run through the model and the state machine and checked against values seen on ZooKeeper 3.8.0.
using Coordinator.Core;
using Coordinator.Jute.Records;
using Coordinator.StateMachine.Tests.Harness;
using Coordinator.StateMachine.Tests.Model;

namespace Coordinator.StateMachine.Tests;

/// <summary>
/// Every step goes through <see cref="ScenarioRunner"/>, so the model and the state machine must already agree on it;
/// the assertions then pin the concrete values. Values marked "ZooKeeper 3.8.0" were read from a real server.
/// </summary>
public sealed class CornerCaseFacts
{
    private const int Alice = 0, Bob = 1, Anonymous = 2;

    private readonly ScenarioRunner _run = new();

    private Outcome Do(Op op) => _run.Step(op);

    private static CreateOp Create(int session, string path, CreateMode mode = CreateMode.Persistent, AclChoice acl = AclChoice.Open, long ttl = -1) =>
        new(session, path, "", (int)mode, acl, ttl);

    private ErrorCode Err(Op op) => Do(op).Err;

    private Stat StatOf(string path) => _run.Tree.GetNode(path)!.ToStat();

    /// <summary>The last step's events as "type path sN", N the session slot (0 Alice, 1 Bob, 2 anonymous).</summary>
    private string Events => string.Join(", ", _run.LastEvents.Select(e => $"{e.Type} {e.Path} s{(e.Session >> 16) & 0xff}"));

    [Fact]
    public void Sequential_suffix_counts_creates_only_but_visible_cversion_counts_deletes_too()
    {
        Do(Create(Alice, "/a"));
        Assert.Equal("/a/s-0000000000", Do(Create(Alice, "/a/s-", CreateMode.PersistentSequential)).Path);
        Assert.Equal("/a/s-0000000001", Do(Create(Alice, "/a/s-", CreateMode.PersistentSequential)).Path);
        Do(new DeleteOp(Alice, "/a/s-0000000000", -1));
        Do(new DeleteOp(Alice, "/a/s-0000000001", -1));
        // ZooKeeper 3.8.0 gave /a/s-0000000002 here, and `stat /a` showed cversion 5 (3 creates + 2 deletes).
        Assert.Equal("/a/s-0000000002", Do(Create(Alice, "/a/s-", CreateMode.PersistentSequential)).Path);
        Assert.Equal(5, StatOf("/a").Cversion);
        Assert.Equal(_run.Tree.GetNode("/a/s-0000000002")!.Czxid, StatOf("/a").Pzxid);
    }

    [Fact]
    public void A_delete_moves_the_parent_pzxid_but_not_the_next_sequence_number()
    {
        Do(Create(Alice, "/x"));
        Do(Create(Alice, "/x/y"));
        Do(new DeleteOp(Alice, "/x/y", -1));
        Assert.Equal(_run.Tree.LastProcessedZxid, StatOf("/x").Pzxid);
        Assert.Equal(2, StatOf("/x").Cversion);
        Assert.Equal("/x/0000000001", Do(Create(Alice, "/x/", CreateMode.PersistentSequential)).Path);
    }

    [Fact]
    public void A_fresh_tree_has_zookeepers_system_nodes_with_their_odd_stats()
    {
        // ZooKeeper 3.8.0, fresh server: / cversion -1, /zookeeper cversion -2, /zookeeper/config aclVersion -1 and ACL r world:anyone.
        Assert.Equal(-1, StatOf("/").Cversion);
        Assert.Equal(-2, StatOf("/zookeeper").Cversion);
        Assert.Equal(-1, StatOf("/zookeeper/config").Aversion);
        Assert.Equal(ErrorCode.NoAuth, Err(new SetDataOp(Alice, "/zookeeper/config", "x", -1)));
        Assert.Equal(ErrorCode.NoAuth, Err(Create(Alice, "/zookeeper/config/x")));
    }

    [Fact]
    public void Containers_and_ttl_nodes_encode_their_kind_in_the_owner_but_show_owner_zero()
    {
        Do(Create(Alice, "/c", CreateMode.Container));
        Do(Create(Alice, "/t", CreateMode.PersistentWithTtl, ttl: 5000));
        Do(Create(Alice, "/e", CreateMode.Ephemeral));
        Assert.Equal(long.MinValue, _run.Tree.GetNode("/c")!.EphemeralOwner);
        Assert.Equal(unchecked((long)0xFF00_0000_0000_1388UL), _run.Tree.GetNode("/t")!.EphemeralOwner);
        // ZooKeeper 3.8.0 showed ephemeralOwner 0 for both; an ephemeral shows its session.
        Assert.Equal(0, StatOf("/c").EphemeralOwner);
        Assert.Equal(0, StatOf("/t").EphemeralOwner);
        Assert.Equal(_run.SessionOf(Alice), StatOf("/e").EphemeralOwner);
        Assert.Equal(["/c"], _run.Tree.Containers);
        Assert.Equal(["/t"], _run.Tree.Ttls);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(ModelRules.TtlMax + 1)]
    public void A_ttl_outside_one_to_the_40_bit_maximum_is_bad_arguments(long ttl)
    {
        Assert.Equal(ErrorCode.BadArguments, Err(Create(Alice, "/t", CreateMode.PersistentWithTtl, ttl: ttl)));
        Assert.Equal(ErrorCode.Ok, Err(Create(Alice, "/t", CreateMode.PersistentWithTtl, ttl: ModelRules.TtlMax)));
    }

    [Fact]
    public void A_ttl_on_a_mode_without_one_is_bad_arguments()
    {
        Assert.Equal(ErrorCode.BadArguments, Err(Create(Alice, "/t", CreateMode.Persistent, ttl: 1000)));
    }

    [Fact]
    public void An_acl_that_excludes_the_session_gives_no_auth_for_every_kind_of_access()
    {
        Do(Create(Alice, "/a", acl: AclChoice.AliceAll));
        Assert.Equal(ErrorCode.NoAuth, Err(new SetDataOp(Bob, "/a", "x", -1)));
        Assert.Equal(ErrorCode.NoAuth, Err(new ReadOp(Bob, ReadKind.GetData, "/a", Watch: true)));
        Assert.Equal(ErrorCode.NoAuth, Err(Create(Anonymous, "/a/b")));
        Assert.Equal(ErrorCode.NoAuth, Err(new SetAclOp(Bob, "/a", AclChoice.Open, -1)));
        // exists checks no ACL in ZooKeeper 3.8.
        Assert.Equal(ErrorCode.Ok, Err(new ReadOp(Bob, ReadKind.Exists, "/a", Watch: false)));
        Assert.Equal(ErrorCode.Ok, Err(Create(Alice, "/a/b")));
        // Delete needs DELETE on the parent, so it is refused before the node is even looked up.
        Assert.Equal(ErrorCode.NoAuth, Err(new DeleteOp(Bob, "/a/nothing", -1)));
    }

    [Fact]
    public void The_creator_acl_becomes_the_sessions_digest_id_and_needs_one()
    {
        Do(Create(Alice, "/a", acl: AclChoice.Creator));
        Assert.Equal([new Acl(31, Identities.Alice)], _run.Tree.GetNode("/a")!.Acl);
        // The anonymous session has only its ip id, which cannot stand in for "auth".
        Assert.Equal(ErrorCode.InvalidAcl, Err(Create(Anonymous, "/b", acl: AclChoice.Creator)));
    }

    [Theory]
    [InlineData(AclChoice.Empty)]
    [InlineData(AclChoice.DigestNoHash)]
    [InlineData(AclChoice.DigestTwoColons)]
    [InlineData(AclChoice.WorldNobody)]
    [InlineData(AclChoice.UnknownScheme)]
    public void An_invalid_acl_is_invalid_acl_and_is_checked_before_the_parent(AclChoice acl)
    {
        // ZooKeeper 3.8.0 answered InvalidACL for digest ids "alice:" and "a:b:c".
        Assert.Equal(ErrorCode.InvalidAcl, Err(new CreateOp(Alice, "/missing/child", "", 0, acl)));
        Do(Create(Alice, "/a"));
        Assert.Equal(ErrorCode.InvalidAcl, Err(new SetAclOp(Alice, "/a", acl, -1)));
        Assert.Equal(ErrorCode.InvalidAcl, Err(new SetAclOp(Alice, "/missing", acl, -1)));
    }

    [Fact]
    public void Ephemerals_cannot_have_children_of_any_kind()
    {
        Do(Create(Alice, "/e", CreateMode.Ephemeral));
        Assert.Equal(ErrorCode.NoChildrenForEphemerals, Err(Create(Alice, "/e/c")));
        Assert.Equal(ErrorCode.NoChildrenForEphemerals, Err(Create(Bob, "/e/s-", CreateMode.EphemeralSequential)));
        Assert.Equal(ErrorCode.NodeExists, Err(Create(Bob, "/e", CreateMode.Ephemeral)));
    }

    [Fact]
    public void Delete_checks_the_version_before_the_children()
    {
        Do(Create(Alice, "/a"));
        Do(Create(Alice, "/a/b"));
        Assert.Equal(ErrorCode.BadVersion, Err(new DeleteOp(Alice, "/a", 3)));
        Assert.Equal(ErrorCode.NotEmpty, Err(new DeleteOp(Alice, "/a", 0)));
        Assert.Equal(ErrorCode.Ok, Err(new DeleteOp(Alice, "/a/b", 0)));
        Assert.Equal(ErrorCode.Ok, Err(new DeleteOp(Alice, "/a", -1)));
    }

    [Fact]
    public void Versions_must_match_unless_minus_one_and_each_kind_counts_its_own_changes()
    {
        Do(Create(Alice, "/a"));
        Assert.Equal(ErrorCode.BadVersion, Err(new SetDataOp(Alice, "/a", "x", 1)));
        Assert.Equal(1, Do(new SetDataOp(Alice, "/a", "x", 0)).Stat!.Value.Version);
        Assert.Equal(2, Do(new SetDataOp(Alice, "/a", "y", -1)).Stat!.Value.Version);
        Assert.Equal(ErrorCode.BadVersion, Err(new SetAclOp(Alice, "/a", AclChoice.Open, 2)));
        var stat = Do(new SetAclOp(Alice, "/a", AclChoice.Open, 0)).Stat!.Value;
        Assert.Equal((1, 2), (stat.Aversion, stat.Version));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/zookeeper")]
    [InlineData("/zookeeper/quota")]
    [InlineData("/zookeeper/config")]
    [InlineData("a")]
    public void Deleting_a_system_node_or_a_path_without_slash_is_bad_arguments(string path)
    {
        Assert.Equal(ErrorCode.BadArguments, Err(new DeleteOp(Alice, path, -1)));
    }

    [Fact]
    public void A_failed_multi_reports_ok_then_the_error_then_runtime_inconsistency_and_changes_nothing()
    {
        var multi = new MultiOp(Alice, [Create(Alice, "/m"), new CheckOp(Alice, "/nonexistent", -1), Create(Alice, "/m2")]);
        var outcome = Do(multi);
        // ZooKeeper 3.8.0 returned error results 0, -101, -2 for this multi.
        Assert.Equal([ErrorCode.Ok, ErrorCode.NoNode, ErrorCode.RuntimeInconsistency], outcome.Multi!.Select(r => r.Err));
        Assert.Null(_run.Tree.GetNode("/m"));
        Assert.Equal(-1, StatOf("/").Cversion);
    }

    [Fact]
    public void Sequential_creates_inside_a_multi_see_the_earlier_creates()
    {
        Do(Create(Alice, "/a"));
        var outcome = Do(new MultiOp(Alice, [
            Create(Alice, "/a/s-", CreateMode.PersistentSequential),
            new DeleteOp(Alice, "/a/s-0000000000", -1),
            Create(Alice, "/a/s-", CreateMode.PersistentSequential),
            new SetDataOp(Alice, "/a/s-0000000001", "v", 0),
        ]));
        Assert.Equal(["/a/s-0000000000", null, "/a/s-0000000001", null], outcome.Multi!.Select(r => r.Path));
        Assert.Equal(1, outcome.Multi![3].Stat!.Value.Version);
        Assert.Equal(3, StatOf("/a").Cversion);
    }

    [Fact]
    public void Closing_a_session_deletes_its_ephemerals_and_tells_the_watchers()
    {
        Do(Create(Alice, "/a"));
        Do(Create(Bob, "/a/e1", CreateMode.Ephemeral));
        Do(Create(Bob, "/a/e2", CreateMode.EphemeralSequential));
        Do(new ReadOp(Alice, ReadKind.Exists, "/a/e1", Watch: true));
        Do(new ReadOp(Alice, ReadKind.GetChildren, "/a", Watch: true));
        long bob = _run.SessionOf(Bob);
        Do(new CloseSessionOp(Bob));
        // Two deletes, but the one-shot child watch on /a fires once.
        Assert.Equal("NodeDeleted /a/e1 s0, NodeChildrenChanged /a s0", Events);
        Assert.Empty(_run.Tree.EphemeralsOf(bob));
        Assert.Empty(Do(new ReadOp(Alice, ReadKind.GetChildren, "/a", Watch: false)).Children!);
        Assert.Equal(_run.Tree.LastProcessedZxid - 1, StatOf("/a").Pzxid);
        Assert.Equal(ErrorCode.Ok, Err(Create(Bob, "/a/e1", CreateMode.Ephemeral)));
    }

    [Fact]
    public void Delete_fires_node_deleted_to_data_and_child_watchers_and_children_changed_to_the_parent()
    {
        Do(Create(Alice, "/a"));
        Do(Create(Alice, "/a/b"));
        Do(new ReadOp(Alice, ReadKind.GetData, "/a/b", Watch: true));
        Do(new ReadOp(Alice, ReadKind.GetChildren, "/a/b", Watch: true));
        Do(new ReadOp(Bob, ReadKind.GetChildren, "/a/b", Watch: true));
        Do(new ReadOp(Anonymous, ReadKind.GetChildren, "/a", Watch: true));
        Do(new DeleteOp(Alice, "/a/b", -1));
        Assert.Equal("NodeDeleted /a/b s0, NodeDeleted /a/b s1, NodeChildrenChanged /a s2", Events);
        Do(Create(Alice, "/a/b"));
        Assert.Equal("", Events);
    }

    [Fact]
    public void A_recursive_watch_sees_every_descendant_change_but_no_child_events_and_stays()
    {
        Do(new AddWatchOp(Bob, "/a", Recursive: true));
        Do(Create(Alice, "/a"));
        Assert.Equal("NodeCreated /a s1", Events);
        Do(Create(Alice, "/a/b"));
        Do(Create(Alice, "/a/b/c"));
        Do(new SetDataOp(Alice, "/a/b/c", "v", -1));
        Assert.Equal("NodeDataChanged /a/b/c s1", Events);
        Do(new DeleteOp(Alice, "/a/b/c", -1));
        Assert.Equal("NodeDeleted /a/b/c s1", Events);
    }

    [Fact]
    public void A_persistent_watch_sees_its_node_and_children_changes_without_being_consumed()
    {
        Do(Create(Alice, "/p"));
        Do(new AddWatchOp(Bob, "/p", Recursive: false));
        Do(Create(Alice, "/p/1"));
        Assert.Equal("NodeChildrenChanged /p s1", Events);
        Do(Create(Alice, "/p/2"));
        Assert.Equal("NodeChildrenChanged /p s1", Events);
        Do(new SetDataOp(Alice, "/p/2", "v", -1));
        Assert.Equal("", Events);
        Do(new SetDataOp(Alice, "/p", "v", -1));
        Assert.Equal("NodeDataChanged /p s1", Events);
    }

    /// <summary>
    /// ZooKeeper 3.8.0 keeps one mode per session and path, so there getData's one-shot watch replaced the recursive one
    /// and only the first change was reported. The state machine keeps both, as ZooKeeper 3.9 does (ZOOKEEPER-4466).
    /// </summary>
    [Fact]
    public void A_one_shot_watch_on_a_recursively_watched_path_leaves_the_recursive_watch_working()
    {
        Do(Create(Alice, "/w"));
        Do(new AddWatchOp(Bob, "/w", Recursive: true));
        Do(new ReadOp(Bob, ReadKind.GetData, "/w", Watch: true));
        Do(new SetDataOp(Alice, "/w", "1", -1));
        Assert.Equal("NodeDataChanged /w s1", Events);
        Do(new SetDataOp(Alice, "/w", "2", -1));
        Assert.Equal("NodeDataChanged /w s1", Events);
        Do(Create(Alice, "/w/c"));
        Assert.Equal("NodeCreated /w/c s1", Events);
    }
}
