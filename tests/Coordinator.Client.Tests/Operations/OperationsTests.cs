// Every operation of the 3.9 protocol through the SDK, with typed errors naming the path, against both servers.
using System.Text;
using Coordinator.Client.Tests.Servers;
using Coordinator.Core;

namespace Coordinator.Client.Tests.Operations;

public sealed class OperationsOnCoordinator(CoordinatorServer server) : OperationsTests(server), IClassFixture<CoordinatorServer>;

public sealed class OperationsOnZooKeeper(ZooKeeperServer server) : OperationsTests(server), IClassFixture<ZooKeeperServer>;

public abstract class OperationsTests(IServerFixture server)
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private async Task<CoordinatorClient> ClientAsync(string name) => await server.ConnectAsync(await server.NewChrootAsync(name));

    [Fact]
    public async Task Create_get_set_delete_round_trip_with_stats()
    {
        await using var zk = await ClientAsync("crud");
        var created = await zk.CreateAsync("/a", Bytes("one"));
        Assert.Equal("/a", created.Path);
        Assert.Equal(0, created.Stat.Version);
        Assert.Equal(3, created.Stat.DataLength);

        var read = await zk.GetDataAsync("/a");
        Assert.Equal("one", Encoding.UTF8.GetString(read.Data));
        Assert.Equal(created.Stat, read.Stat);

        var set = await zk.SetDataAsync("/a", Bytes("two"), version: 0);
        Assert.Equal(1, set.Version);
        Assert.Equal("two", Encoding.UTF8.GetString((await zk.GetDataAsync("/a")).Data));

        Assert.NotNull(await zk.ExistsAsync("/a"));
        await zk.DeleteAsync("/a", version: 1);
        Assert.Null(await zk.ExistsAsync("/a"));
    }

    [Fact]
    public async Task Errors_are_typed_and_name_the_client_path()
    {
        await using var zk = await ClientAsync("errors");
        var noNode = await Assert.ThrowsAsync<NoNodeException>(() => zk.GetDataAsync("/missing"));
        Assert.Equal("/missing", noNode.Path);
        Assert.Equal(ErrorCode.NoNode, noNode.Code);
        Assert.Contains("NoNode for /missing", noNode.Message, StringComparison.Ordinal);

        await zk.CreateAsync("/x", null);
        Assert.Equal("/x", (await Assert.ThrowsAsync<NodeExistsException>(() => zk.CreateAsync("/x", null))).Path);
        Assert.Equal("/x", (await Assert.ThrowsAsync<BadVersionException>(() => zk.SetDataAsync("/x", null, version: 7))).Path);
        await zk.CreateAsync("/x/child", null);
        Assert.Equal("/x", (await Assert.ThrowsAsync<NotEmptyException>(() => zk.DeleteAsync("/x"))).Path);
        Assert.Equal("/nope/child", (await Assert.ThrowsAsync<NoNodeException>(() => zk.CreateAsync("/nope/child", null))).Path);

        await zk.CreateAsync("/eph", null, CreateMode.Ephemeral);
        Assert.Equal("/eph/child", (await Assert.ThrowsAsync<NoChildrenForEphemeralsException>(() => zk.CreateAsync("/eph/child", null))).Path);

        // Bad paths never reach the server.
        await Assert.ThrowsAsync<ArgumentException>(() => zk.CreateAsync("no-slash", null));
        await Assert.ThrowsAsync<ArgumentException>(() => zk.GetDataAsync("/trailing/"));
    }

    [Fact]
    public async Task Create_in_every_mode_answers_a_stat()
    {
        await using var zk = await ClientAsync("modes");
        var seq1 = await zk.CreateAsync("/seq-", null, CreateMode.PersistentSequential);
        var seq2 = await zk.CreateAsync("/seq-", null, CreateMode.PersistentSequential);
        Assert.Matches("^/seq-\\d{10}$", seq1.Path);
        Assert.True(string.CompareOrdinal(seq1.Path, seq2.Path) < 0);

        var eph = await zk.CreateAsync("/eph", null, CreateMode.Ephemeral);
        Assert.Equal(zk.SessionId, eph.Stat.EphemeralOwner);
        var ephSeq = await zk.CreateAsync("/ephseq-", null, CreateMode.EphemeralSequential);
        Assert.Equal(zk.SessionId, ephSeq.Stat.EphemeralOwner);
        Assert.Matches("^/ephseq-\\d{10}$", ephSeq.Path);

        var container = await zk.CreateAsync("/container", null, CreateMode.Container);
        Assert.Equal("/container", container.Path);
        Assert.True(container.Stat.Czxid > 0);

        var ttl = await zk.CreateAsync("/ttl", Bytes("t"), CreateMode.PersistentWithTtl, ttlMs: 60_000);
        Assert.Equal("/ttl", ttl.Path);
        var ttlSeq = await zk.CreateAsync("/ttlseq-", null, CreateMode.PersistentSequentialWithTtl, ttlMs: 60_000);
        Assert.Matches("^/ttlseq-\\d{10}$", ttlSeq.Path);
        Assert.True(ttl.Stat.Czxid > 0);

        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = zk.CreateAsync("/ttl2", null, CreateMode.PersistentWithTtl); });
    }

    [Fact]
    public async Task Ephemerals_vanish_with_their_session_and_are_listed_per_session()
    {
        string chroot = await server.NewChrootAsync("ephemerals");
        await using var observer = await server.ConnectAsync(chroot);
        var owner = await server.ConnectAsync(chroot);
        await owner.CreateAsync("/app", null);
        await owner.CreateAsync("/app/e1", null, CreateMode.Ephemeral);
        await owner.CreateAsync("/app/e2", null, CreateMode.Ephemeral);
        await owner.CreateAsync("/other", null, CreateMode.Ephemeral);

        Assert.Equal(["/app/e1", "/app/e2", "/other"], (await owner.GetEphemeralsAsync()).Order(StringComparer.Ordinal));
        Assert.Equal(["/app/e1", "/app/e2"], (await owner.GetEphemeralsAsync("/app")).Order(StringComparer.Ordinal));
        Assert.Empty(await observer.GetEphemeralsAsync());

        await owner.DisposeAsync();
        Assert.Empty((await observer.GetChildrenAsync("/app")).Children);
        Assert.Null(await observer.ExistsAsync("/other"));
    }

    [Fact]
    public async Task Children_with_stat_and_all_children_number()
    {
        await using var zk = await ClientAsync("children");
        await zk.CreateAsync("/p", null);
        foreach (string c in new[] { "b", "a", "c" }) await zk.CreateAsync("/p/" + c, null);
        await zk.CreateAsync("/p/a/deep", null);

        var children = await zk.GetChildrenAsync("/p");
        Assert.Equal(["a", "b", "c"], children.Children.Order(StringComparer.Ordinal));
        Assert.Equal(3, children.Stat.NumChildren);
        Assert.Equal(4, await zk.GetAllChildrenNumberAsync("/p"));
        Assert.Equal("/p/zz", (await Assert.ThrowsAsync<NoNodeException>(() => zk.GetAllChildrenNumberAsync("/p/zz"))).Path);
    }

    [Fact]
    public async Task Multi_commits_all_or_nothing_with_typed_results()
    {
        await using var zk = await ClientAsync("multi");
        await zk.CreateAsync("/existing", Bytes("v0"));
        var results = await zk.MultiAsync(new Transaction()
            .Create("/m1", Bytes("x"))
            .Create("/seq-", null, CreateMode.PersistentSequential)
            .SetData("/existing", Bytes("v1"), version: 0)
            .Check("/existing", 1)
            .Delete("/m1"));
        Assert.Collection(results,
            r => Assert.Equal("/m1", Assert.IsType<CreateResult>(r).Path),
            r => Assert.StartsWith("/seq-", Assert.IsType<CreateResult>(r).Path, StringComparison.Ordinal),
            r => Assert.Equal(1, Assert.IsType<SetDataResult>(r).Stat.Version),
            r => Assert.IsType<CheckResult>(r),
            r => Assert.IsType<DeleteResult>(r));

        var failure = await Assert.ThrowsAsync<BadVersionException>(() => zk.MultiAsync(new Transaction()
            .Create("/never", null)
            .Check("/existing", 99)));
        Assert.Equal("/existing", failure.Path);
        Assert.NotNull(failure.OpResults);
        Assert.Equal(2, failure.OpResults!.Count);
        Assert.Null(await zk.ExistsAsync("/never"));
    }

    [Fact]
    public async Task Multi_read_answers_each_op_on_its_own()
    {
        await using var zk = await ClientAsync("multiread");
        await zk.CreateAsync("/r", Bytes("data"));
        await zk.CreateAsync("/r/kid", null);
        var results = await zk.MultiReadAsync(new ReadTransaction().GetData("/r").GetChildren("/r").GetData("/missing"));
        Assert.Equal("data", Encoding.UTF8.GetString(Assert.IsType<NodeData>(results[0]).Data));
        Assert.Equal(["kid"], Assert.IsType<ChildrenResult>(results[1]).Children);
        var error = Assert.IsType<ErrorResult>(results[2]);
        Assert.Equal(ErrorCode.NoNode, error.Code);
        Assert.Equal("/missing", error.Path);
    }

    [Fact]
    public async Task Acls_and_digest_auth()
    {
        string chroot = await server.NewChrootAsync("acl");
        await using var alice = await server.ConnectAsync(chroot);
        await using var stranger = await server.ConnectAsync(chroot);
        await alice.AddDigestAuthAsync("alice", "secret");
        await alice.CreateAsync("/private", Bytes("p"), CreateMode.Persistent, Acls.CreatorAll);

        var acl = await alice.GetAclAsync("/private");
        Assert.Equal(Acls.DigestId("alice", "secret"), Assert.Single(acl.Acl).Id);
        Assert.Equal("/private", (await Assert.ThrowsAsync<NoAuthException>(() => stranger.GetDataAsync("/private"))).Path);

        var stat = await alice.SetAclAsync("/private", [Acls.Digest("alice", "secret", Perms.All), .. Acls.ReadUnsafe], aclVersion: 0);
        Assert.Equal(1, stat.Aversion);
        Assert.Equal("p", Encoding.UTF8.GetString((await stranger.GetDataAsync("/private")).Data));
        await Assert.ThrowsAsync<NoAuthException>(() => stranger.SetDataAsync("/private", null));
        await Assert.ThrowsAsync<BadVersionException>(() => alice.SetAclAsync("/private", Acls.OpenUnsafe, aclVersion: 0));

        var identities = await alice.WhoAmIAsync();
        Assert.Contains(identities, i => i.AuthScheme == "digest" && i.User == "alice");
        Assert.Contains(identities, i => i.AuthScheme == "ip");
    }

    [Fact]
    public async Task Sync_config_and_chroot_mapping()
    {
        string chroot = await server.NewChrootAsync("sync");
        await using var zk = await server.ConnectAsync(chroot);
        await using var root = await server.ConnectAsync();
        Assert.Equal(chroot, zk.Chroot);
        await zk.CreateAsync("/n", null);
        Assert.Equal("/n", await zk.SyncAsync("/n"));
        Assert.NotNull(await root.ExistsAsync(chroot + "/n"));
        // "/" of a chrooted client is the chroot itself.
        Assert.Equal(["n"], (await zk.GetChildrenAsync("/")).Children);

        // Both servers run standalone; the config node may be empty but must be readable outside the chroot.
        var config = await zk.GetConfigAsync();
        Assert.NotNull(config.Data);
        await Assert.ThrowsAnyAsync<KeeperException>(() => zk.ReconfigAsync("server.9=127.0.0.1:1:2;3", null, null));
    }

    [Fact]
    public async Task Many_concurrent_requests_complete_in_order()
    {
        await using var zk = await ClientAsync("pipeline");
        var creates = Enumerable.Range(0, 300).Select(i => zk.CreateAsync($"/n{i}", Bytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))).ToList();
        await Task.WhenAll(creates).Within();
        var reads = Enumerable.Range(0, 300).Select(i => zk.GetDataAsync($"/n{i}")).ToList();
        var data = await Task.WhenAll(reads).Within();
        for (int i = 0; i < data.Length; i++) Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetString(data[i].Data));
        Assert.Equal(300, await zk.GetAllChildrenNumberAsync("/"));
    }

    [Fact]
    public async Task Large_payload_up_to_the_packet_limit()
    {
        await using var zk = await ClientAsync("large");
        byte[] big = new byte[900 * 1024];
        Random.Shared.NextBytes(big);
        await zk.CreateAsync("/big", big);
        Assert.Equal(big, (await zk.GetDataAsync("/big")).Data);
        Assert.Throws<ArgumentException>(() => { _ = zk.SetDataAsync("/big", new byte[2 * 1024 * 1024]); });
    }

    [Fact]
    public async Task Cancellation_abandons_the_wait()
    {
        await using var zk = await ClientAsync("cancel");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => zk.GetDataAsync("/", cts.Token));
        Assert.NotNull(await zk.ExistsAsync("/"));
    }
}
