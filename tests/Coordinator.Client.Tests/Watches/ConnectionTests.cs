// Reconnect with the same session and its watches, fail-over past a dead server, expiry, auth failure and pings.
using System.Text;
using Coordinator.Client.Tests.Servers;
using Coordinator.Core;
using Xunit.Abstractions;

namespace Coordinator.Client.Tests.Watches;

public sealed class ConnectionOnCoordinator(CoordinatorServer server, ITestOutputHelper output) : ConnectionTests(server, output), IClassFixture<CoordinatorServer>;

public sealed class ConnectionOnZooKeeper(ZooKeeperServer server, ITestOutputHelper output) : ConnectionTests(server, output), IClassFixture<ZooKeeperServer>;

public abstract class ConnectionTests(IServerFixture server, ITestOutputHelper output)
{
    [Fact]
    public async Task Reconnect_keeps_the_session_and_every_kind_of_watch()
    {
        string chroot = await server.NewChrootAsync("reconnect");
        await using var zk = await server.ConnectAsync(chroot, o => o.LoggerFactory = new TestOutputLoggerFactory(output));
        await using var writer = await server.ConnectAsync(chroot);
        await writer.CreateAsync("/d", null);
        await writer.CreateAsync("/c", null);
        await writer.CreateAsync("/r", null);
        var data = new WatchRecorder();
        var child = new WatchRecorder();
        var exists = new WatchRecorder();
        var recursive = new WatchRecorder();
        await zk.GetDataAsync("/d", data.Watcher);
        await zk.GetChildrenAsync("/c", child.Watcher);
        await zk.ExistsAsync("/e", exists.Watcher);
        // Its own path: ZooKeeper 3.8 mixes up a one-shot and a recursive watch of one session on the same path
        // when setWatches2 restores them (ZOOKEEPER-4466, fixed in 3.9).
        await zk.AddWatchAsync("/r", AddWatchMode.PersistentRecursive, recursive.Watcher);
        await zk.CreateAsync("/mine", null, CreateMode.Ephemeral);
        long session = zk.SessionId;
        var states = zk.RecordStates();

        zk.DropConnection();
        Assert.Equal(ConnectionState.Disconnected, (await states.NextAsync()).State);
        var back = await states.NextAsync();
        Assert.Equal(ConnectionState.Connected, back.State);
        Assert.False(back.IsNewSession);
        Assert.Equal(session, zk.SessionId);
        Assert.NotNull(await writer.ExistsAsync("/mine"));

        await writer.SetDataAsync("/d", [1]);
        await writer.CreateAsync("/c/kid", null);
        await writer.CreateAsync("/e", null);
        await writer.CreateAsync("/r/kid", null);
        Assert.Equal(EventType.NodeDataChanged, (await data.NextAsync()).Type);
        Assert.Equal(EventType.NodeChildrenChanged, (await child.NextAsync()).Type);
        Assert.Equal(EventType.NodeCreated, (await exists.NextAsync()).Type);
        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, "/r/kid"), await recursive.NextAsync());
    }

    [Fact]
    public async Task Changes_made_while_disconnected_fire_on_reconnect_and_queued_requests_go_through()
    {
        string chroot = await server.NewChrootAsync("missed");
        await using var zk = await server.ConnectAsync(chroot);
        await using var writer = await server.ConnectAsync(chroot);
        await writer.CreateAsync("/d", null);
        var data = new WatchRecorder();
        await zk.GetDataAsync("/d", data.Watcher);
        var states = zk.RecordStates();

        zk.DropConnection(holdOff: TimeSpan.FromMilliseconds(700));
        Assert.Equal(ConnectionState.Disconnected, (await states.NextAsync()).State);
        await writer.SetDataAsync("/d", Encoding.UTF8.GetBytes("while away"));
        var queued = zk.GetDataAsync("/d");
        Assert.False(queued.IsCompleted);

        // setWatches2 carries the last zxid seen, so the server fires the watch for the change the client missed.
        Assert.Equal(EventType.NodeDataChanged, (await data.NextAsync()).Type);
        Assert.Equal("while away", Encoding.UTF8.GetString((await queued.Within()).Data));
    }

    [Fact]
    public async Task A_large_watch_set_is_re_registered_in_chunks()
    {
        string chroot = await server.NewChrootAsync("manywatches");
        await using var zk = await server.ConnectAsync(chroot);
        await using var writer = await server.ConnectAsync(chroot);
        var w = new WatchRecorder();
        // 3,000 exist watches on ~200-byte paths: about 600 KB of paths, several setWatches2 packets.
        string Path(int i) => "/" + new string('w', 190) + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);
        await Task.WhenAll(Enumerable.Range(0, 3000).Select(i => zk.ExistsAsync(Path(i), w.Watcher))).Within();
        Assert.Equal(3000, zk.WatchCount);
        var states = zk.RecordStates();

        zk.DropConnection();
        await states.NextMatchingAsync(s => s.State == ConnectionState.Connected);
        await writer.CreateAsync(Path(0), null);
        await writer.CreateAsync(Path(2999), null);
        var fired = new HashSet<string?> { (await w.NextAsync()).Path, (await w.NextAsync()).Path };
        Assert.Equal([Path(0), Path(2999)], fired);
        Assert.Equal(2998, zk.WatchCount);
    }

    [Fact]
    public async Task Requests_in_flight_when_the_connection_drops_end_in_success_or_connection_loss()
    {
        string chroot = await server.NewChrootAsync("inflight");
        await using var zk = await server.ConnectAsync(chroot);
        var creates = Enumerable.Range(0, 400).Select(i => zk.CreateAsync($"/n{i}", new byte[100])).ToList();
        zk.DropConnection();
        int ok = 0, lost = 0;
        foreach (var create in creates)
        {
            try
            {
                await create.Within();
                ok++;
            }
            catch (ConnectionLossException)
            {
                lost++;
            }
        }
        Assert.Equal(400, ok + lost);
        // Every create the client saw succeed is there; the lost ones may or may not have been applied.
        Assert.InRange(await zk.GetAllChildrenNumberAsync("/").Within(), ok, 400);
    }

    [Fact]
    public async Task Fails_over_past_a_server_that_is_down()
    {
        int deadPort = DeadPort();
        var options = server.Options();
        options.ConnectionString = $"127.0.0.1:{deadPort},{server.HostPort},127.0.0.1:{deadPort}";
        for (int i = 0; i < 4; i++)
        {
            await using var zk = await CoordinatorClient.ConnectAsync(options).Within();
            Assert.Equal(server.HostPort, zk.CurrentServer.ToString());
            Assert.NotNull(await zk.ExistsAsync("/"));
        }
    }

    [Fact]
    public async Task Requests_fail_with_connection_loss_when_no_server_answers()
    {
        await using var zk = new CoordinatorClient(new CoordinatorClientOptions
        {
            ConnectionString = "127.0.0.1:" + DeadPort(),
            SessionTimeout = TimeSpan.FromSeconds(1),
            DisconnectedRequestTimeout = TimeSpan.FromMilliseconds(200),
        });
        var error = await Assert.ThrowsAsync<ConnectionLossException>(() => zk.GetDataAsync("/x").Within());
        Assert.Equal("/x", error.Path);
        Assert.Equal(ConnectionState.Disconnected, zk.State);
    }

    [Fact]
    public async Task Session_expiry_is_reported_and_a_new_session_opened()
    {
        string chroot = await server.NewChrootAsync("expiry");
        await using var zk = await server.ConnectAsync(chroot);
        await using var observer = await server.ConnectAsync(chroot);
        await zk.CreateAsync("/eph", null, CreateMode.Ephemeral);
        var oneShot = new WatchRecorder();
        var persistent = new WatchRecorder();
        await zk.ExistsAsync("/x", oneShot.Watcher);
        await zk.AddWatchAsync("/p", AddWatchMode.Persistent, persistent.Watcher);
        var states = zk.RecordStates();
        long oldSession = zk.SessionId;

        await SessionKiller.ExpireAsync(server, zk.SessionId, zk.SessionPassword);
        await states.NextMatchingAsync(s => s.State == ConnectionState.Expired);
        Assert.Equal(new WatchedEvent(EventType.None, KeeperState.Expired, null), await oneShot.NextAsync());
        var renewed = await states.NextMatchingAsync(s => s.State == ConnectionState.Connected);
        Assert.True(renewed.IsNewSession);
        Assert.NotEqual(oldSession, zk.SessionId);
        Assert.Null(await observer.ExistsAsync("/eph"));

        // Persistent watches are carried into the new session.
        await observer.CreateAsync("/p", null);
        Assert.Equal(EventType.NodeCreated, (await persistent.NextAsync()).Type);
    }

    [Fact]
    public async Task Without_renewal_an_expired_client_fails_every_call()
    {
        await using var zk = await server.ConnectAsync(configure: o => o.RenewSessionOnExpiry = false);
        var states = zk.RecordStates();
        await SessionKiller.ExpireAsync(server, zk.SessionId, zk.SessionPassword);
        await states.NextMatchingAsync(s => s.State == ConnectionState.Expired);
        await Assert.ThrowsAsync<SessionExpiredException>(() => zk.ExistsAsync("/").Within());
        await Assert.ThrowsAsync<SessionExpiredException>(() => zk.WaitForConnectedAsync().Within());
    }

    [Fact]
    public async Task A_resumed_session_is_the_same_session()
    {
        string chroot = await server.NewChrootAsync("resume");
        await using var first = await server.ConnectAsync(chroot);
        await first.CreateAsync("/eph", null, CreateMode.Ephemeral);
        // The first client goes quiet (as a crashed process would) without closing its session...
        first.DropConnection(holdOff: TimeSpan.FromSeconds(30));
        // ...and another picks the session up by id and password, ephemeral nodes and all.
        await using var second = await server.ConnectAsync(chroot, o => { o.SessionId = first.SessionId; o.SessionPassword = first.SessionPassword; });
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.Equal(["/eph"], await second.GetEphemeralsAsync());
    }

    [Fact]
    public async Task Rejected_credentials_raise_auth_failed_and_the_session_carries_on()
    {
        await using var zk = await server.ConnectAsync();
        var states = zk.RecordStates();
        long session = zk.SessionId;
        var error = await Assert.ThrowsAsync<AuthFailedException>(() => zk.AddAuthAsync("no-such-scheme", [1, 2, 3]).Within());
        Assert.Equal(ErrorCode.AuthFailed, error.Code);
        Assert.Equal(ConnectionState.AuthFailed, (await states.NextAsync()).State);
        await states.NextMatchingAsync(s => s.State == ConnectionState.Connected);
        Assert.Equal(session, zk.SessionId);
        Assert.NotNull(await zk.ExistsAsync("/"));
    }

    [Fact]
    public async Task Pings_keep_an_idle_session_alive()
    {
        // Short enough that an idle session without pings would expire during the wait, long enough that a busy
        // two-core test machine's scheduling pauses do not look like a dead server.
        await using var zk = await server.ConnectAsync(configure: o =>
        {
            o.SessionTimeout = TimeSpan.FromSeconds(2);
            o.LoggerFactory = new TestOutputLoggerFactory(output);
        });
        var states = zk.RecordStates();
        long session = zk.SessionId;
        await Task.Delay(zk.SessionTimeout * 2.5);
        Assert.False(states.TryTake(out var change), $"state changed while idle: {change}");
        Assert.Equal(session, zk.SessionId);
        Assert.NotNull(await zk.ExistsAsync("/"));
    }

    [Fact]
    public async Task Dispose_reports_closed_and_fails_later_calls()
    {
        var zk = await server.ConnectAsync();
        var states = zk.RecordStates();
        await zk.DisposeAsync();
        Assert.Equal(ConnectionState.Closed, zk.State);
        Assert.Equal(ConnectionState.Closed, (await states.NextAsync()).State);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => zk.ExistsAsync("/"));
    }

    private static int DeadPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
