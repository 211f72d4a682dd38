// Server-free checks: connection strings, chroot mapping, setWatches2 chunking, error mapping, watch bookkeeping.
using Coordinator.Client.Operations;
using Coordinator.Client.Watches;
using Coordinator.Core;
using Coordinator.Jute;

namespace Coordinator.Client.Tests.Units;

public sealed class ClientUnitTests
{
    [Theory]
    [InlineData("127.0.0.1:2181", "127.0.0.1:2181", null)]
    [InlineData("a:1,b:2/app/x", "a:1,b:2", "/app/x")]
    [InlineData("zk1, zk2:2182/", "zk1:2181,zk2:2182", null)]
    [InlineData("[::1]:2181,[fe80::1]/r", "[::1]:2181,[fe80::1]:2181", "/r")]
    public void Parses_connection_strings(string text, string servers, string? chroot)
    {
        var parsed = ConnectionString.Parse(text);
        Assert.Equal(servers, string.Join(',', parsed.Servers));
        Assert.Equal(chroot, parsed.Chroot);
    }

    [Theory]
    [InlineData("")]
    [InlineData("host:notaport")]
    [InlineData("host:70000")]
    [InlineData("host:1/bad/")]
    [InlineData("[::1:2181")]
    [InlineData("/only/chroot")]
    public void Rejects_bad_connection_strings(string text) => Assert.ThrowsAny<ArgumentException>(() => ConnectionString.Parse(text));

    [Fact]
    public void Chroot_maps_both_ways()
    {
        var chroot = new Chroot("/app");
        Assert.Equal("/app", chroot.ToServer("/"));
        Assert.Equal("/app/a", chroot.ToServer("/a"));
        Assert.Equal("/", chroot.ToClient("/app"));
        Assert.Equal("/a/b", chroot.ToClient("/app/a/b"));
        Assert.Equal("/apple", chroot.ToClient("/apple"));
        Assert.Equal("/x", new Chroot(null).ToServer("/x"));
    }

    [Fact]
    public void Set_watches_chunks_stay_under_the_limit_and_cover_every_path()
    {
        var rng = new Random(42);
        List<string> Paths(string kind, int n) => Enumerable.Range(0, n).Select(i => $"/{kind}/{new string('p', rng.Next(1, 300))}{i}").ToList();
        var snapshot = new WatchSnapshot(Paths("d", 900), Paths("e", 700), Paths("c", 800), Paths("p", 300), Paths("r", 200));
        foreach (int limit in new[] { Limits.PacketBytesMaxDefault, 64 * 1024, 4096 })
        {
            var chunks = SetWatchesChunker.Chunk(snapshot, 77, limit);
            Assert.True(chunks.Count > 1);
            foreach (var chunk in chunks)
            {
                using var w = new JuteWriter();
                chunk.Write(w);
                Assert.True(w.Length + 8 <= Math.Min(limit, SetWatchesChunker.ChunkBytesMax), $"{w.Length} bytes over {limit}");
                Assert.Equal(77, chunk.RelativeZxid);
            }
            Assert.Equal(snapshot.Data, chunks.SelectMany(c => c.DataWatches));
            Assert.Equal(snapshot.Exist, chunks.SelectMany(c => c.ExistWatches));
            Assert.Equal(snapshot.Child, chunks.SelectMany(c => c.ChildWatches));
            Assert.Equal(snapshot.Persistent, chunks.SelectMany(c => c.PersistentWatches));
            Assert.Equal(snapshot.PersistentRecursive, chunks.SelectMany(c => c.PersistentRecursiveWatches));
        }
        Assert.Empty(SetWatchesChunker.Chunk(new WatchSnapshot([], [], [], [], []), 0, 1000));
    }

    [Fact]
    public void Error_codes_map_to_typed_exceptions_naming_the_path()
    {
        Assert.IsType<NoNodeException>(KeeperException.Create(ErrorCode.NoNode, "/a"));
        Assert.IsType<SessionExpiredException>(KeeperException.Create(ErrorCode.SessionExpired, null));
        var other = KeeperException.Create(ErrorCode.SystemError, "/b");
        Assert.Equal(typeof(KeeperException), other.GetType());
        Assert.Equal("KeeperErrorCode = Directory not empty for /x", KeeperException.Create(ErrorCode.NotEmpty, "/x").Message);
        foreach (var code in Enum.GetValues<ErrorCode>().Where(c => c != ErrorCode.Ok))
        {
            var e = KeeperException.Create(code, "/p");
            Assert.Equal(code, e.Code);
            Assert.Equal("/p", e.Path);
            Assert.DoesNotContain("Unknown error", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Watch_registry_triggers_like_zookeeper()
    {
        var registry = new WatchRegistry();
        var fired = new List<string>();
        Action<WatchedEvent> W(string name) => _ => fired.Add(name);
        var data = W("data");
        var child = W("child");
        var persistent = W("persistent");
        var recursive = W("recursive");
        registry.Add(WatchKind.Data, "/a", data);
        registry.Add(WatchKind.Child, "/a", child);
        registry.Add(WatchKind.Persistent, "/a", persistent);
        registry.Add(WatchKind.PersistentRecursive, "/", recursive);

        Assert.Equal(3, registry.Trigger(EventType.NodeDataChanged, "/a").Count); // data, persistent, recursive
        Assert.Equal(2, registry.Trigger(EventType.NodeChildrenChanged, "/a").Count); // child, persistent (recursive: no child events)
        Assert.Equal(2, registry.Trigger(EventType.NodeDataChanged, "/a").Count); // one-shots are gone
        Assert.Single(registry.Trigger(EventType.NodeCreated, "/deep/down/here")); // recursive from the root

        Assert.True(registry.Contains("/a", WatcherType.Persistent, persistent));
        Assert.False(registry.HasWatchesBesides("/a", WatcherType.Persistent, persistent));
        registry.Add(WatchKind.Exist, "/a", data);
        Assert.True(registry.HasWatchesBesides("/a", WatcherType.Persistent, persistent));
        Assert.Equal([(persistent, EventType.PersistentWatchRemoved)], registry.Remove("/a", WatcherType.Persistent, persistent));
        Assert.Equal(2, registry.Snapshot(p => p).Exist.Concat(registry.Snapshot(p => p).PersistentRecursive).Count());
        Assert.Single(registry.DropOneShot());
        Assert.Equal(1, registry.Count);
    }

    [Fact]
    public void Create_modes_choose_the_opcode_and_check_the_ttl()
    {
        Assert.Equal((OpCode.Create2, 3), Requests.CreateOp("/a", CreateMode.EphemeralSequential, -1));
        Assert.Equal((OpCode.CreateContainer, 4), Requests.CreateOp("/a", CreateMode.Container, -1));
        Assert.Equal((OpCode.CreateTtl, 6), Requests.CreateOp("/a-", CreateMode.PersistentSequentialWithTtl, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => Requests.CreateOp("/a", CreateMode.PersistentWithTtl, 0));
        Assert.Throws<ArgumentException>(() => Requests.CreateOp("/a", CreateMode.Persistent, 10));
        // A sequential create may end in '/': the suffix completes the name.
        Assert.Equal((OpCode.Create2, 2), Requests.CreateOp("/q/", CreateMode.PersistentSequential, -1));
        Assert.Throws<ArgumentException>(() => Requests.CreateOp("/q/", CreateMode.Persistent, -1));
    }

    [Fact]
    public void Digest_ids_match_zookeeper()
    {
        // The value ZooKeeper's DigestAuthenticationProvider.generateDigest("super:test") gives.
        Assert.Equal("super:D/InIHSb7yEEbrWz8b9l71RjZJU=", Acls.DigestId("super", "test").Ident);
    }
}
