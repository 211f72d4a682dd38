// Node and tree caches on persistent watches, service registration and discovery, and the generic-host wiring.
using System.Text;
using Coordinator.Client.Recipes;
using Coordinator.Client.Tests.Servers;
using Coordinator.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Coordinator.Client.Tests.Recipes;

public sealed class CacheRecipesOnCoordinator(CoordinatorServer server) : CacheRecipeTests(server), IClassFixture<CoordinatorServer>;

public sealed class CacheRecipesOnZooKeeper(ZooKeeperServer server) : CacheRecipeTests(server), IClassFixture<ZooKeeperServer>;

public abstract class CacheRecipeTests(IServerFixture server)
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static string Text(NodeData? d) => d is null ? "<none>" : Encoding.UTF8.GetString(d.Data);

    [Fact]
    public async Task Node_cache_follows_create_change_and_delete()
    {
        string chroot = await server.NewChrootAsync("nodecache");
        await using var zk = await server.ConnectAsync(chroot);
        await using var writer = await server.ConnectAsync(chroot);
        await using var cache = new NodeCache(zk, "/config");
        var changes = new Recorder<string>();
        cache.Changed += (_, e) => changes.Add(Text(e.Current));
        await cache.StartAsync().Within();
        Assert.Null(cache.Current);

        await writer.CreateAsync("/config", Bytes("v1"));
        Assert.Equal("v1", await changes.NextAsync());
        await writer.SetDataAsync("/config", Bytes("v2"));
        Assert.Equal("v2", await changes.NextAsync());
        await writer.CreateAsync("/config/child", null); // child events do not touch the node's data
        await writer.DeleteAsync("/config/child");
        await writer.DeleteAsync("/config");
        Assert.Equal("<none>", await changes.NextAsync());
        Assert.Null(cache.Current);
    }

    [Fact]
    public async Task Tree_cache_mirrors_the_subtree_and_resyncs_after_a_missed_change()
    {
        string chroot = await server.NewChrootAsync("treecache");
        await using var zk = await server.ConnectAsync(chroot);
        await using var writer = await server.ConnectAsync(chroot);
        await writer.CreateAsync("/app", Bytes("root"));
        await writer.CreateAsync("/app/a", Bytes("a"));
        await writer.CreateAsync("/app/a/x", Bytes("x"));
        await using var cache = new TreeCache(zk, "/app");
        var events = new Recorder<TreeCacheEvent>();
        cache.Changed += (_, e) => events.Add(e);
        await cache.StartAsync().Within();
        Assert.Equal(["/app", "/app/a", "/app/a/x"], cache.Snapshot.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["a"], cache.GetChildren("/app"));

        await writer.CreateAsync("/app/b", Bytes("b"));
        await events.NextMatchingAsync(e => e is { Type: TreeCacheEventType.NodeAdded, Path: "/app/b" });
        await writer.SetDataAsync("/app/a/x", Bytes("x2"));
        var updated = await events.NextMatchingAsync(e => e.Path == "/app/a/x");
        Assert.Equal((TreeCacheEventType.NodeUpdated, "x2"), (updated.Type, Text(updated.Data)));
        await writer.DeleteRecursiveAsync("/app/a");
        await events.NextMatchingAsync(e => e is { Type: TreeCacheEventType.NodeRemoved, Path: "/app/a" });
        Assert.Equal(["/app", "/app/b"], cache.Snapshot.Keys.Order(StringComparer.Ordinal));

        // Changes below the watched node while disconnected are not replayed by setWatches2; the resync finds them.
        zk.DropConnection(holdOff: TimeSpan.FromMilliseconds(500));
        await writer.CreateAsync("/app/b/deep", Bytes("d"));
        await writer.SetDataAsync("/app/b", Bytes("b2"));
        await events.NextMatchingAsync(e => e is { Type: TreeCacheEventType.NodeAdded, Path: "/app/b/deep" });
        await Eventually.TrueAsync(() => Text(cache.Get("/app/b")) == "b2", "resync picked up /app/b");
    }

    [Fact]
    public async Task Tree_cache_depth_limit_and_change_stream()
    {
        string chroot = await server.NewChrootAsync("treedepth");
        await using var zk = await server.ConnectAsync(chroot);
        await zk.CreateAsync("/s", null);
        await using var cache = new TreeCache(zk, "/s", maxDepth: 1);
        await cache.StartAsync().Within();
        using var cts = new CancellationTokenSource(ServerFixtures.WaitTimeout);
        var stream = cache.ChangesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        await zk.CreateAsync("/s/one", null);
        await zk.CreateAsync("/s/one/too-deep", null);
        await zk.CreateAsync("/s/two", null);
        Assert.True(await stream.MoveNextAsync());
        Assert.Equal("/s/one", stream.Current.Path);
        Assert.True(await stream.MoveNextAsync());
        Assert.Equal("/s/two", stream.Current.Path);
        Assert.Null(cache.Get("/s/one/too-deep"));
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task Two_services_register_and_a_third_discovers_them()
    {
        string chroot = await server.NewChrootAsync("discovery");
        await using var svc1 = await server.ConnectAsync(chroot);
        await using var svc2 = await server.ConnectAsync(chroot);
        await using var consumer = await server.ConnectAsync(chroot);

        await using var discovery = new ServiceRegistry(consumer).Discover("orders");
        await discovery.StartAsync().Within();
        Assert.Empty(discovery.Instances);
        using var cts = new CancellationTokenSource(ServerFixtures.WaitTimeout);
        var stream = discovery.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await stream.MoveNextAsync());
        Assert.Empty(stream.Current);

        var one = await new ServiceRegistry(svc1).RegisterAsync(new ServiceInstance
        {
            Name = "orders", Id = "one", Address = "10.0.0.1", Port = 8080, Metadata = new Dictionary<string, string> { ["zone"] = "a" },
        });
        await using var two = await new ServiceRegistry(svc2).RegisterAsync(new ServiceInstance { Name = "orders", Id = "two", Address = "10.0.0.2", Port = 8080 });
        var both = await NextListAsync(stream, 2);
        Assert.Equal(["one", "two"], both.Select(i => i.Id));
        Assert.Equal("a", both[0].Metadata["zone"]);
        Assert.Equal(new Uri("http://10.0.0.1:8080/"), both[0].ToUri());

        var picker = new RoundRobinPicker();
        Assert.Equal(["one", "two", "one", "two"], Enumerable.Range(0, 4).Select(_ => discovery.Pick(picker)!.Id));

        // An instance that goes away (here: unregisters) leaves the list; one whose session ends does too.
        await one.DisposeAsync();
        Assert.Equal(["two"], (await NextListAsync(stream, 1)).Select(i => i.Id));
        await svc2.DisposeAsync();
        Assert.Empty(await NextListAsync(stream, 0));
        Assert.Equal(["orders"], await new ServiceRegistry(consumer).GetServiceNamesAsync());
        await stream.DisposeAsync();
    }

    private static async Task<IReadOnlyList<ServiceInstance>> NextListAsync(IAsyncEnumerator<IReadOnlyList<ServiceInstance>> stream, int count)
    {
        while (true)
        {
            Assert.True(await stream.MoveNextAsync());
            if (stream.Current.Count == count) return stream.Current;
        }
    }

    [Fact]
    public async Task A_registration_comes_back_after_its_session_expires()
    {
        string chroot = await server.NewChrootAsync("reregister");
        await using var service = await server.ConnectAsync(chroot);
        await using var consumer = await server.ConnectAsync(chroot);
        await using var registration = await new ServiceRegistry(service).RegisterAsync(new ServiceInstance { Name = "api", Id = "x", Address = "h", Port = 1 });
        var states = service.RecordStates();
        long before = (await consumer.ExistsAsync(registration.NodePath))!.Value.EphemeralOwner;

        await SessionKiller.ExpireAsync(server, service.SessionId, service.SessionPassword);
        await states.NextMatchingAsync(s => s.IsNewSession);
        await Eventually.TrueAsync(async () => (await consumer.ExistsAsync(registration.NodePath))?.EphemeralOwner is { } owner && owner != before,
            "the instance re-registered on the new session");
        Assert.Equal(service.SessionId, (await consumer.ExistsAsync(registration.NodePath))!.Value.EphemeralOwner);
    }

    [Fact]
    public async Task Generic_host_registration_gives_a_connected_client()
    {
        string chroot = await server.NewChrootAsync("hosting");
        var services = new ServiceCollection();
        services.AddCoordinatorClient(o =>
        {
            o.ConnectionString = server.HostPort + chroot;
            o.SessionTimeout = TimeSpan.FromSeconds(4);
        });
        await using (var provider = services.BuildServiceProvider())
        {
            var client = provider.GetRequiredService<CoordinatorClient>();
            Assert.Same(client, provider.GetRequiredService<CoordinatorClient>());
            await client.WaitForConnectedAsync().Within();
            await client.CreateAsync("/from-di", null, CreateMode.Ephemeral);
            await using var registration = await provider.GetRequiredService<ServiceRegistry>()
                .RegisterAsync(new ServiceInstance { Name = "svc", Address = "127.0.0.1", Port = 9 });
            Assert.Equal(chroot, client.Chroot);
        }
        // Disposing the container closed the session: its ephemeral node is gone at once.
        await using var check = await server.ConnectAsync(chroot);
        Assert.Null(await check.ExistsAsync("/from-di"));
    }
}
