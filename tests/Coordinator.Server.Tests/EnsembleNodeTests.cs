// Three ServerNodes in one process, linked by an in-memory network: ZAB hosting, forwarding, global sessions, sync.
using System.Threading.Channels;
using Coordinator.Consensus;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.Server.Configuration;
using Coordinator.Server.Replication;
using Coordinator.StateMachine;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coordinator.Server.Tests;

/// <summary>Links nodes in memory: one FIFO channel per (sender, receiver), pumped by its own task.</summary>
internal sealed class InMemoryNetworkHub
{
    private readonly Dictionary<long, Link> _nodes = new();

    /// <summary>Frames (from, to, bytes) for which this answers true are lost on the way.</summary>
    public Func<long, long, byte[], bool>? Lose { get; set; }

    public IPeerNetwork For(long id)
    {
        lock (_nodes) return _nodes[id] = new Link(this, id);
    }

    /// <summary>The node's links go down: the others are told, as a broken TCP connection tells them.</summary>
    public void Cut(long id)
    {
        Link[] others;
        lock (_nodes)
        {
            _nodes[id].Down = true;
            others = _nodes.Values.Where(n => n.Id != id).ToArray();
        }
        foreach (var other in others) other.Lost?.Invoke(id);
    }

    private Link? Target(long id)
    {
        lock (_nodes) return _nodes.GetValueOrDefault(id) is { Down: false } link ? link : null;
    }

    private sealed class Link(InMemoryNetworkHub hub, long id) : IPeerNetwork
    {
        private readonly Channel<(long To, byte[] Frame)> _out = Channel.CreateUnbounded<(long, byte[])>();
        private Task _pump = Task.CompletedTask;
        public long Id => id;
        public bool Down { get; set; }
        public Action<long, byte[]>? Receive { get; private set; }
        public Action<long>? Lost { get; private set; }

        public void Start(Action<long, byte[]> receive, Action<long> lost)
        {
            Receive = receive;
            Lost = lost;
            _pump = Task.Run(async () =>
            {
                await foreach (var (to, frame) in _out.Reader.ReadAllAsync())
                {
                    if (!Down && hub.Target(to) is { Receive: { } deliver } && hub.Lose?.Invoke(id, to, frame) != true) deliver(id, frame);
                }
            });
        }

        public void Send(long to, byte[] frame) => _out.Writer.TryWrite((to, frame));

        public async ValueTask DisposeAsync()
        {
            _out.Writer.TryComplete();
            await _pump;
        }
    }
}

/// <summary>Keeps epochs in memory; these tests never need a truncation or a snapshot transfer (every node starts empty).</summary>
internal sealed class MemoryReplicaStorage : IReplicaStorage
{
    public (int Accepted, int Current) Epochs { get; private set; }
    public void SaveEpochs(int acceptedEpoch, int currentEpoch) => Epochs = (acceptedEpoch, currentEpoch);
    public void TruncateLogAfter(long zxid) { }
    public DataTree InstallSnapshot(long zxid, byte[] snapshot) => throw new NotSupportedException("no snapshot transfer in memory");
    public byte[] SerializeSnapshot(DataTree tree) => throw new NotSupportedException("no snapshot transfer in memory");
}

public sealed class EnsembleNodeTests : IAsyncLifetime
{
    private static readonly PeerSpec[] Peers =
    [
        new(1, "127.0.0.1", 1, 1, false, null, null),
        new(2, "127.0.0.1", 2, 2, false, null, null),
        new(3, "127.0.0.1", 3, 3, false, null, null),
    ];

    private readonly InMemoryNetworkHub _hub = new();
    private readonly Dictionary<long, ServerNode> _nodes = new();
    private readonly List<IPeerNetwork> _links = new();

    public Task InitializeAsync()
    {
        foreach (var peer in Peers)
        {
            var link = _hub.For(peer.Id);
            _links.Add(link);
            var settings = ServerSettings.Default with { ServerId = peer.Id, Peers = Peers, TickTimeMs = 100, InitLimit = 10, SyncLimit = 5 };
            var node = new ServerNode(settings, NullLogger<ServerNode>.Instance,
                replication: new ReplicationSetup(link, new MemoryReplicaStorage(), 0, 0, 0, []));
            _nodes[peer.Id] = node;
            node.Start();
        }
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes.Values) await node.DisposeAsync();
        foreach (var link in _links) await link.DisposeAsync();
    }

    private async Task<string> ModeOf(ServerNode node) => await node.QueryAsync(n => n.Mode);

    private async Task<(ServerNode Leader, ServerNode[] Followers)> WaitForQuorumAsync(IEnumerable<ServerNode> nodes)
    {
        var list = nodes.ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var modes = new List<string>();
            foreach (var n in list) modes.Add(await ModeOf(n));
            if (modes.Count(m => m == "leader") == 1 && modes.All(m => m is "leader" or "follower"))
                return (list[modes.IndexOf("leader")], list.Where((_, i) => modes[i] == "follower").ToArray());
            Assert.True(DateTime.UtcNow < deadline, $"no quorum in time: {string.Join(", ", modes)}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Writes_through_a_follower_reach_every_node_in_order()
    {
        var (leader, followers) = await WaitForQuorumAsync(_nodes.Values);
        var client = await NodeClient.ConnectAsync(followers[0], 1);
        await client.CreateAsync("/app", [1]);
        for (int i = 0; i < 20; i++) await client.CreateAsync($"/app/n{i:D2}", [(byte)i]);
        // Read-your-writes on the follower that forwarded them.
        var own = await client.CallAsync(new PathWatchRequest(OpCode.GetData, "/app/n19", false));
        Assert.Equal(0, own.Err);

        // A client of the other follower syncs, then sees everything.
        var other = await NodeClient.ConnectAsync(followers[1], 2);
        Assert.Equal(0, (await other.CallAsync(new PathRequest(OpCode.Sync, "/app"))).Err);
        foreach (var node in _nodes.Values)
        {
            await NodeClient.WaitUntil(() => node.QueryAsync(n => n.Tree.GetNode("/app")?.Children.Count == 20).Result,
                "every node applies the 20 children");
        }
        var digests = new HashSet<long>();
        foreach (var node in _nodes.Values) digests.Add(await node.QueryAsync(n => TreeDigest.Of(n.Tree)));
        Assert.Single(digests);

        // Errors the leader finds come back to the follower's client, in order.
        var dup = await client.CallAsync(NodeClient.Create("/app", [2]));
        Assert.Equal((int)ErrorCode.NodeExists, dup.Err);
        Assert.Equal("leader", await ModeOf(leader));
    }

    [Fact]
    public async Task Sessions_are_global_and_an_ephemeral_survives_the_leader()
    {
        var (leader, followers) = await WaitForQuorumAsync(_nodes.Values);
        var client = await NodeClient.ConnectAsync(followers[0], 1);
        await client.CreateAsync("/e", [], CreateMode.Ephemeral);
        long session = client.SessionId;
        foreach (var node in _nodes.Values)
            await NodeClient.WaitUntil(() => node.QueryAsync(n => n.Tree.Sessions.ContainsKey(session) && n.Tree.GetNode("/e") != null).Result);

        // The leader goes away; the two followers elect a new one, which keeps the session (the client keeps pinging).
        long leaderId = leader.Settings.ServerId;
        _hub.Cut(leaderId);
        await leader.DisposeAsync();
        _nodes.Remove(leaderId);
        var survivors = _nodes.Values.ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        (ServerNode Leader, ServerNode[] Followers) quorum;
        while (true)
        {
            var modes = new List<string>();
            foreach (var n in survivors) modes.Add(await ModeOf(n));
            if (modes.Contains("leader") && modes.Contains("follower"))
            {
                quorum = (survivors[modes.IndexOf("leader")], survivors.Where((_, i) => modes[i] == "follower").ToArray());
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, $"no new leader: {string.Join(", ", modes)}");
            await Task.Delay(20);
        }
        // Reconnect the session to the new leader (its client was dropped when its server went looking).
        var again = new NodeClient(quorum.Leader, new FakeConnection(9));
        await quorum.Leader.ConnectAsync(again.Connection, new ConnectRequest(0, quorum.Leader.LastZxid, 30000, session, Sessions.SessionPasswords.For(session), false), CancellationToken.None);
        await NodeClient.WaitUntil(() => !again.Connection.Sent.IsEmpty);
        Assert.Null(again.Connection.ClosedBecause);
        Assert.True(await quorum.Leader.QueryAsync(n => n.Tree.GetNode("/e") != null));
    }

    /// <summary>A COMMIT, or a ping (it carries the commit point too); forwarded client work is not a ZAB message at all.</summary>
    private static bool CommitsSomething(byte[] frame)
    {
        try
        {
            return PeerMessageCodec.Decode(frame) is Commit or Ping;
        }
        catch (PeerMessageFormatException)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_session_the_new_leader_inherits_uncommitted_is_tracked_and_its_client_can_reconnect()
    {
        var (leader, followers) = await WaitForQuorumAsync(_nodes.Values);
        // The follower with the higher id will win the next election (equal histories): it must not hear the commit.
        var heir = followers.MaxBy(f => f.Settings.ServerId)!;
        var other = followers.MinBy(f => f.Settings.ServerId)!;
        long leaderId = leader.Settings.ServerId, heirId = heir.Settings.ServerId;
        _hub.Lose = (from, to, frame) => from == leaderId && to == heirId && CommitsSomething(frame);

        var client = await NodeClient.ConnectAsync(other, 1);
        long session = client.SessionId;
        long created = await other.QueryAsync(n => n.LastZxid);
        await NodeClient.WaitUntil(() => heir.QueryAsync(n => n.LoggedZxid).Result >= created);
        Assert.False(await heir.QueryAsync(n => n.Tree.Sessions.ContainsKey(session))); // logged there, not committed

        _hub.Lose = null;
        _hub.Cut(leaderId);
        await leader.DisposeAsync();
        _nodes.Remove(leaderId);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await ModeOf(heir) != "leader" || await ModeOf(other) != "follower")
        {
            Assert.True(DateTime.UtcNow < deadline, $"no new leader: {await ModeOf(heir)}, {await ModeOf(other)}");
            await Task.Delay(20);
        }
        // The new leader committed the session with the rest of its inherited history: it knows it, and tracks it.
        var again = new NodeClient(heir, new FakeConnection(9));
        await heir.ConnectAsync(again.Connection, new ConnectRequest(0, 0, 30000, session, Sessions.SessionPasswords.For(session), false), CancellationToken.None);
        await NodeClient.WaitUntil(() => !again.Connection.Sent.IsEmpty || again.Connection.ClosedBecause is not null);
        Assert.Null(again.Connection.ClosedBecause);
    }
}
