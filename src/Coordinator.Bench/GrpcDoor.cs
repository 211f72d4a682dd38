// The benchmark's gRPC door: sends each workload request (a jute record) as the equivalent coordinator.v1 call.
using Coordinator.Client.Grpc;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Google.Protobuf;
using V1 = Coordinator.Protos.V1;

namespace Coordinator.Bench;

internal sealed class GrpcDoor : IAsyncDisposable
{
    private readonly CoordinatorGrpcClient _client;
    private readonly long _session;

    private GrpcDoor(CoordinatorGrpcClient client, long session)
    {
        _client = client;
        _session = session;
    }

    /// <summary>One client with its own HTTP/2 connection and session, as a wire client has its own TCP connection.</summary>
    public static async Task<GrpcDoor> OpenAsync(Uri address)
    {
        var client = new CoordinatorGrpcClient(address);
        var session = await client.CreateSessionAsync(new V1.CreateSessionRequest { TimeoutMs = 30000 });
        return new GrpcDoor(client, session.SessionId);
    }

    /// <summary>The ZooKeeper result code of the call: 0 when it succeeded.</summary>
    public async Task<int> CallAsync(Request request)
    {
        try
        {
            await (request switch
            {
                CreateRequest c => (Task)_client.CreateAsync(Create(c)),
                SetDataRequest s => _client.SetAsync(Set(s)),
                DeleteRequest d => _client.DeleteAsync(new V1.DeleteRequest { SessionId = _session, Path = d.PathValue }),
                PathWatchRequest { Op: OpCode.GetData } g => _client.GetAsync(new V1.GetRequest { SessionId = _session, Path = g.PathValue }),
                PathWatchRequest { Op: OpCode.Exists } e => _client.ExistsAsync(new V1.ExistsRequest { SessionId = _session, Path = e.PathValue }),
                MultiRequest m => _client.MultiAsync(Multi(m)),
                _ => throw new ArgumentException($"no gRPC equivalent for {request.Op}"),
            });
            return 0;
        }
        catch (CoordinatorGrpcException e)
        {
            return e.ZooKeeperCode is { } code ? (int)code : -1;
        }
    }

    private V1.CreateRequest Create(CreateRequest c) =>
        new() { SessionId = _session, Path = c.PathValue, Data = ByteString.CopyFrom(c.Data ?? []), Mode = (V1.CreateMode)c.Flags };

    private V1.SetRequest Set(SetDataRequest s) => new() { SessionId = _session, Path = s.PathValue, Data = ByteString.CopyFrom(s.Data ?? []) };

    private V1.MultiRequest Multi(MultiRequest m)
    {
        var multi = new V1.MultiRequest { SessionId = _session };
        foreach (var op in m.Ops)
        {
            multi.Ops.Add(op switch
            {
                CreateRequest c => new V1.Op { Create = Create(c) },
                SetDataRequest s => new V1.Op { Set = Set(s) },
                _ => throw new ArgumentException($"no gRPC equivalent for {op.Op} in a multi"),
            });
        }
        return multi;
    }

    public async ValueTask DisposeAsync()
    {
        try { await _client.CloseSessionAsync(new V1.CloseSessionRequest { SessionId = _session }); }
        catch (CoordinatorGrpcException) { }
        await _client.DisposeAsync();
    }
}
