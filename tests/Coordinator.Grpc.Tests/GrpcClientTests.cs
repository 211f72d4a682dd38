// The .NET SDK's gRPC client (Coordinator.Client.Grpc) against an in-process server, beside the wire-protocol client.
using Coordinator.Client;
using Coordinator.Client.Grpc;
using Coordinator.Core;
using Coordinator.Protos.V1;
using Google.Protobuf;

namespace Coordinator.Grpc.Tests;

public sealed class GrpcClientTests(GrpcServer server) : IClassFixture<GrpcServer>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static string Unique() => "/net-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<(CoordinatorGrpcClient Client, long Session)> OpenAsync()
    {
        var client = new CoordinatorGrpcClient(server.GrpcUri) { DefaultDeadline = Wait };
        var session = await client.CreateSessionAsync(new CreateSessionRequest { TimeoutMs = 4000 });
        return (client, session.SessionId);
    }

    [Fact]
    public async Task Operations_return_stats_and_errors_carry_the_zookeeper_code()
    {
        var (grpc, sid) = await OpenAsync();
        await using var _ = grpc;
        string p = Unique();
        var created = await grpc.CreateAsync(new CreateRequest { SessionId = sid, Path = p, Data = ByteString.CopyFromUtf8("a") });
        Assert.Equal(p, created.Path);
        Assert.Equal(created.Zxid, created.Stat.Czxid);
        var set = await grpc.SetAsync(new SetRequest { SessionId = sid, Path = p, Data = ByteString.CopyFromUtf8("b"), Version = 0 });
        Assert.Equal(1, set.Stat.Version);
        var read = await grpc.GetAsync(new GetRequest { SessionId = sid, Path = p });
        Assert.Equal("b", read.Data.ToStringUtf8());

        var conflict = await Assert.ThrowsAsync<CoordinatorGrpcException>(() =>
            grpc.SetAsync(new SetRequest { SessionId = sid, Path = p, Data = ByteString.Empty, Version = 0 }));
        Assert.Equal(GrpcStatusCode.Aborted, conflict.Status);
        Assert.Equal(ErrorCode.BadVersion, conflict.ZooKeeperCode);
        var missing = await Assert.ThrowsAsync<CoordinatorGrpcException>(() => grpc.GetAsync(new GetRequest { SessionId = sid, Path = p + "/none" }));
        Assert.Equal(GrpcStatusCode.NotFound, missing.Status);
        Assert.Equal(ErrorCode.NoNode, missing.ZooKeeperCode);

        var multi = await Assert.ThrowsAsync<CoordinatorGrpcException>(() => grpc.MultiAsync(new MultiRequest
        {
            SessionId = sid,
            Ops = { new Op { Create = new CreateRequest { Path = p + "/x" } }, new Op { Check = new CheckOp { Path = p, Version = 9 } } },
        }));
        Assert.Equal(1, multi.FailedOp);
        Assert.False((await grpc.ExistsAsync(new ExistsRequest { SessionId = sid, Path = p + "/x" })).Exists);

        var status = await grpc.StatusAsync();
        Assert.Equal(Role.Standalone, status.Role);
        Assert.True(status.LastZxid >= set.Zxid);
        await grpc.CloseSessionAsync(new CloseSessionRequest { SessionId = sid });
    }

    [Fact]
    public async Task A_resumed_watch_gets_exactly_the_changes_after_its_zxid_then_live_ones()
    {
        var (grpc, sid) = await OpenAsync();
        await using var _ = grpc;
        string p = Unique();
        var start = await grpc.CreateAsync(new CreateRequest { SessionId = sid, Path = p });
        var missed = new List<long>();
        for (int i = 0; i < 3; i++)
            missed.Add((await grpc.CreateAsync(new CreateRequest { SessionId = sid, Path = $"{p}/{i}" })).Zxid);

        using var cts = new CancellationTokenSource(Wait);
        var events = new List<WatchEvent>();
        long live = 0;
        await foreach (var m in grpc.WatchAsync(new WatchRequest { SessionId = sid, Path = p, Recursive = true, StartZxid = start.Zxid }, ct: cts.Token))
        {
            if (m.KindCase == WatchResponse.KindOneofCase.Started)
            {
                Assert.True(m.Started.Zxid >= missed[^1]);
                continue;
            }
            events.Add(m.Event);
            if (events.Count == 3)
                live = (await grpc.SetAsync(new SetRequest { SessionId = sid, Path = p + "/0", Data = ByteString.CopyFromUtf8("z") })).Zxid;
            if (events.Count == 4) break;
        }
        Assert.Equal(missed, events.Take(3).Select(e => e.Zxid));
        Assert.All(events.Take(3), e => Assert.Equal(Protos.V1.EventType.NodeCreated, e.Type));
        Assert.Equal((live, Protos.V1.EventType.NodeDataChanged, p + "/0"), (events[3].Zxid, events[3].Type, events[3].Path));
    }

    [Fact]
    public async Task A_watch_deadline_ends_the_stream_and_the_server_releases_it()
    {
        var (grpc, sid) = await OpenAsync();
        await using var _ = grpc;
        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<CoordinatorGrpcException>(async () =>
        {
            await foreach (var m in grpc.WatchAsync(new WatchRequest { SessionId = sid, Path = Unique() }, deadline: TimeSpan.FromMilliseconds(300))) { }
        });
        Assert.Equal(GrpcStatusCode.DeadlineExceeded, e.Status);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        await WaitUntilAsync(async () => (await grpc.StatusAsync()).WatchStreamCount == 0, "the server drops the expired stream");
    }

    [Fact]
    public async Task Out_of_range_start_is_refused_with_a_clear_status()
    {
        var (grpc, sid) = await OpenAsync();
        await using var _ = grpc;
        var status = await grpc.StatusAsync();
        var e = await Assert.ThrowsAsync<CoordinatorGrpcException>(async () =>
        {
            await foreach (var m in grpc.WatchAsync(new WatchRequest { SessionId = sid, Path = "/", StartZxid = status.LastZxid + 100 })) { }
        });
        Assert.Equal(GrpcStatusCode.OutOfRange, e.Status);
    }

    [Fact]
    public async Task An_ephemeral_created_over_grpc_is_seen_and_lost_by_a_wire_client()
    {
        var (grpc, sid) = await OpenAsync();
        await using var _ = grpc;
        await using var zk = await CoordinatorClient.ConnectAsync($"127.0.0.1:{server.ClientEndPoint.Port}");
        string p = Unique();
        await grpc.CreateAsync(new CreateRequest { SessionId = sid, Path = p, Mode = Protos.V1.CreateMode.Ephemeral });
        var stat = await zk.ExistsAsync(p);
        Assert.NotNull(stat);
        Assert.Equal(sid, stat.Value.EphemeralOwner);
        await grpc.CloseSessionAsync(new CloseSessionRequest { SessionId = sid });
        Assert.Null(await zk.ExistsAsync(p));
        var closed = await Assert.ThrowsAsync<CoordinatorGrpcException>(() => grpc.KeepAliveAsync(new KeepAliveRequest { SessionId = sid }));
        Assert.Equal(ErrorCode.SessionExpired, closed.ZooKeeperCode);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail($"timed out waiting until {what}");
    }
}
