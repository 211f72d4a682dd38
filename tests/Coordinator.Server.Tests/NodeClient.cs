// A client session driven through a ServerNode's public entry points with jute-encoded requests, and the fake connection under it.
using System.Collections.Concurrent;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Server.Tests;

/// <summary>Stands in for the host's TCP connection: records what the node sends and whether it closed it.</summary>
internal sealed class FakeConnection(long id) : IClientConnection
{
    public ConcurrentQueue<byte[]> Sent { get; } = new();
    public long ConnectionId => id;
    public string RemoteAddress => "127.0.0.1";
    public int RemotePort => 40000 + (int)id;
    public ConnectionStats Stats { get; } = new();
    public string? ClosedBecause { get; private set; }

    public bool TrySend(ReadOnlyMemory<byte> framedPacket)
    {
        Sent.Enqueue(framedPacket.ToArray());
        Packets.Return(framedPacket);
        return true;
    }

    public void Close(string reason) => ClosedBecause = reason;
}

internal sealed class NodeClient(ServerNode node, FakeConnection connection)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private int _xid;

    public long SessionId { get; private set; }

    public FakeConnection Connection => connection;

    public static async Task<NodeClient> ConnectAsync(ServerNode node, long id)
    {
        var client = new NodeClient(node, new FakeConnection(id));
        await node.ConnectAsync(client.Connection, new ConnectRequest(0, 0, 30000, 0, new byte[16], false), CancellationToken.None);
        // The session is a txn: the reply comes once the log has made it durable, on the node's own schedule.
        await WaitUntil(() => !client.Connection.Sent.IsEmpty);
        Assert.True(client.Connection.Sent.TryPeek(out var packet));
        var reader = new JuteReader(packet.AsSpan(4));
        client.SessionId = ConnectResponse.Read(ref reader).SessionId;
        Assert.NotEqual(0, client.SessionId);
        return client;
    }

    private List<ReplyHeader> Replies() =>
        connection.Sent.Skip(1).Select(p => { var r = new JuteReader(p.AsSpan(4)); return ReplyHeader.Read(ref r); }).ToList();

    /// <summary>Polls until the condition holds, failing after <see cref="Timeout"/>.</summary>
    public static async Task WaitUntil(Func<bool> condition, string? what = null)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what ?? "the node did not answer in time");
            await Task.Delay(5);
        }
    }

    /// <summary>Queues a request without waiting; the node decodes it before this returns, so the pooled buffer can go back at once.</summary>
    public async Task<int> QueueAsync(Request request)
    {
        int xid = ++_xid;
        using (var w = new JuteWriter())
        {
            new RequestHeader(xid, (int)request.Op).Write(w);
            request.Write(w);
            await node.PacketAsync(connection, w.WrittenSpan, CancellationToken.None);
        }
        return xid;
    }

    /// <summary>Queues the request and waits for its reply header.</summary>
    public async Task<ReplyHeader> CallAsync(Request request)
    {
        int xid = await QueueAsync(request);
        await WaitUntil(() => Replies().Any(h => h.Xid == xid));
        return Replies().Last(h => h.Xid == xid);
    }

    public static CreateRequest Create(string path, byte[] data, CreateMode mode = CreateMode.Persistent) =>
        new(OpCode.Create, path, data, [.. Acl.OpenAclUnsafe], (int)mode);

    public Task CreateAsync(string path, byte[] data, CreateMode mode = CreateMode.Persistent) => SendAsync(Create(path, data, mode));

    public Task GetDataAsync(string path, bool watch) => SendAsync(new PathWatchRequest(OpCode.GetData, path, watch));

    public Task ExistsAsync(string path, bool watch) => SendAsync(new PathWatchRequest(OpCode.Exists, path, watch), allowNoNode: true);

    public Task GetChildrenAsync(string path, bool watch) => SendAsync(new PathWatchRequest(OpCode.GetChildren, path, watch));

    /// <summary>Queues the request, waits until the loop has answered it, and checks the reply's error code.</summary>
    private async Task SendAsync(Request request, bool allowNoNode = false)
    {
        var reply = await CallAsync(request);
        Assert.True(reply.Err == 0 || (allowNoNode && reply.Err == (int)ErrorCode.NoNode), $"{request.Op} failed with {reply.Err}");
    }
}
