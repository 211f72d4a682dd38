// canBeReadOnly: a session that had to settle for a read-only server keeps asking the others "isro" and moves
// to the first that answers "rw", as ZooKeeper's client does.
using Coordinator.Client.Connection;
using Coordinator.Client.Tests.Servers;

namespace Coordinator.Client.Tests.Watches;

public sealed class ReadOnlyFallbackTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Session_on_a_read_only_server_moves_to_a_read_write_server_once_one_answers_rw()
    {
        await using var readOnly = new FakeZooKeeperServer(readOnly: true, firstSessionId: 0x100);
        await using var readWrite = new FakeZooKeeperServer(readOnly: false, firstSessionId: 0x200) { Up = false };
        var zk = new CoordinatorClient(new CoordinatorClientOptions
        {
            ConnectionString = $"{readOnly.HostPort},{readWrite.HostPort}",
            CanBeReadOnly = true,
            LoggerFactory = new TestOutputLoggerFactory(output),
        });
        await using var _ = zk;
        var states = zk.RecordStates();
        await zk.WaitForConnectedAsync().Within();
        Assert.Equal(ConnectionState.ConnectedReadOnly, (await states.NextAsync()).State);
        Assert.Equal(readOnly.Port, zk.CurrentServer!.Value.Port);
        Assert.Equal(0x100, zk.SessionId);

        // While the other server is down the session stays read-only, asking it again and again (never itself).
        int before = readWrite.Connections;
        await Eventually.TrueAsync(() => readWrite.Connections >= before + 2, "the client probes the other server repeatedly");
        Assert.Equal(ConnectionState.ConnectedReadOnly, zk.State);
        Assert.Equal(0, readOnly.IsroQueries);

        readWrite.Up = true;
        Assert.Equal(ConnectionState.Disconnected, (await states.NextAsync()).State);
        var connected = await states.NextAsync();
        Assert.Equal(ConnectionState.Connected, connected.State);
        Assert.Equal(readWrite.Port, zk.CurrentServer!.Value.Port);
        Assert.True(readWrite.IsroQueries >= 1);
        // A read-only server's session is unknown to the quorum: the client asked the read-write one for a new session.
        var handshake = Assert.Single(readWrite.Handshakes);
        Assert.Equal(0, handshake.SessionId);
        Assert.True(connected.IsNewSession);
        Assert.Equal(0x200, zk.SessionId);
    }

    [Fact]
    public async Task Once_a_read_write_server_was_seen_reconnects_resume_the_session_even_on_a_read_only_server()
    {
        await using var readWrite = new FakeZooKeeperServer(readOnly: false, firstSessionId: 0x300);
        await using var readOnly = new FakeZooKeeperServer(readOnly: true, firstSessionId: 0x400) { Up = false };
        var zk = new CoordinatorClient(new CoordinatorClientOptions
        {
            ConnectionString = $"{readWrite.HostPort},{readOnly.HostPort}",
            CanBeReadOnly = true,
            LoggerFactory = new TestOutputLoggerFactory(output),
        });
        await using var _ = zk;
        var states = zk.RecordStates();
        await zk.WaitForConnectedAsync().Within();
        Assert.Equal(ConnectionState.Connected, (await states.NextAsync()).State);
        Assert.Equal(0x300, zk.SessionId);

        readOnly.Up = true;
        readWrite.Up = false;
        zk.DropConnection();
        await states.NextMatchingAsync(s => s.State == ConnectionState.ConnectedReadOnly);
        Assert.Equal(0x300, Assert.Single(readOnly.Handshakes).SessionId);
        Assert.Equal(0x300, zk.SessionId);
    }

    [Fact]
    public async Task Probe_reads_the_isro_answer_and_treats_anything_else_as_not_read_write()
    {
        await using var readWrite = new FakeZooKeeperServer(readOnly: false, firstSessionId: 1);
        await using var readOnly = new FakeZooKeeperServer(readOnly: true, firstSessionId: 1);
        await using var down = new FakeZooKeeperServer(readOnly: false, firstSessionId: 1) { Up = false };
        Assert.True(await ReadWriteServerProbe.IsReadWriteAsync(new ServerAddress("127.0.0.1", readWrite.Port), default));
        Assert.False(await ReadWriteServerProbe.IsReadWriteAsync(new ServerAddress("127.0.0.1", readOnly.Port), default));
        Assert.False(await ReadWriteServerProbe.IsReadWriteAsync(new ServerAddress("127.0.0.1", down.Port), default));
    }
}
