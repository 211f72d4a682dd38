// Fail-over between real servers: the peer a client is connected to dies; the session, its ephemerals and watches move on.
using Coordinator.Client.Tests.Servers;
using Coordinator.Core;

namespace Coordinator.Client.Tests.Watches;

public sealed class FailoverOnZooKeeperEnsemble(ZooKeeperEnsemble ensemble) : IClassFixture<ZooKeeperEnsemble>
{
    [Fact]
    public async Task Session_moves_to_another_server_when_its_server_dies()
    {
        await using var zk = await CoordinatorClient.ConnectAsync(new CoordinatorClientOptions
        {
            ConnectionString = ensemble.ConnectionString,
            SessionTimeout = TimeSpan.FromSeconds(10),
        }).Within();
        await zk.CreateAsync("/failover", null);
        await zk.CreateAsync("/failover/eph", null, CreateMode.Ephemeral);
        var data = new WatchRecorder();
        var persistent = new WatchRecorder();
        await zk.GetDataAsync("/failover", data.Watcher);
        await zk.AddWatchAsync("/failover", AddWatchMode.Persistent, persistent.Watcher);
        long session = zk.SessionId;
        int dead = zk.CurrentServer!.Value.Port;
        var states = zk.RecordStates();

        await ensemble.KillAsync(dead);
        Assert.Equal(ConnectionState.Disconnected, (await states.NextAsync()).State);
        // If the dead peer led, the others elect a new leader first; the session outlives that.
        var back = await states.NextMatchingAsync(s => s.State.IsConnected(), TimeSpan.FromSeconds(30));
        Assert.False(back.IsNewSession);
        Assert.Equal(session, zk.SessionId);
        Assert.NotEqual(dead, zk.CurrentServer!.Value.Port);
        Assert.Equal(["/failover/eph"], await zk.GetEphemeralsAsync("/failover"));

        await using var writer = await CoordinatorClient.ConnectAsync(new CoordinatorClientOptions
        {
            ConnectionString = string.Join(',', ensemble.ClientPorts.Where(p => p != dead).Select(p => "127.0.0.1:" + p)),
        }).Within();
        await writer.SyncAsync("/failover");
        await writer.SetDataAsync("/failover", [1]);
        Assert.Equal(EventType.NodeDataChanged, (await data.NextAsync()).Type);
        Assert.Equal(EventType.NodeDataChanged, (await persistent.NextAsync()).Type);
    }
}

public sealed class ReadOnlyOnZooKeeperEnsemble(ZooKeeperReadOnlyEnsemble ensemble, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ZooKeeperReadOnlyEnsemble>
{
    [Fact]
    public async Task A_peer_cut_off_from_its_quorum_serves_reads_as_connected_read_only()
    {
        int survivor = ensemble.ClientPorts[0];
        await using (var setup = await CoordinatorClient.ConnectAsync("127.0.0.1:" + survivor).Within())
        {
            await setup.CreateAsync("/ro", [7]);
            await setup.SyncAsync("/ro");
        }
        await ensemble.KillAsync(ensemble.ClientPorts[1]);
        await ensemble.KillAsync(ensemble.ClientPorts[2]);
        await Eventually.TrueAsync(async () => (await ZooKeeperEnsemble.SrvrAsync(survivor))?.Contains("Mode: read-only", StringComparison.Ordinal) == true,
            "the survivor serves read-only");
        // What the client's read-write search asks: a read-only ZooKeeper answers "isro" with "ro".
        Assert.False(await Connection.ReadWriteServerProbe.IsReadWriteAsync(new ServerAddress("127.0.0.1", survivor), default));

        var zk = new CoordinatorClient(new CoordinatorClientOptions
        {
            ConnectionString = "127.0.0.1:" + survivor,
            CanBeReadOnly = true,
            LoggerFactory = new TestOutputLoggerFactory(output),
        });
        await using var _ = zk;
        var states = zk.RecordStates();
        await zk.WaitForConnectedAsync().Within();
        Assert.Equal(ConnectionState.ConnectedReadOnly, (await states.NextAsync()).State);
        Assert.Equal([7], (await zk.GetDataAsync("/ro")).Data);
        var refused = await Assert.ThrowsAsync<NotReadOnlyException>(() => zk.SetDataAsync("/ro", [8]));
        Assert.Equal("/ro", refused.Path);
    }
}
