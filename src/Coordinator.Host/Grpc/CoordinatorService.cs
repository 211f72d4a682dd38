// The unary RPCs of coordinator.v1.Coordinator: each becomes the jute request a ZooKeeper client would send.
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.Protos.V1;
using Coordinator.Server;
using Microsoft.AspNetCore.Http;
using CreateRequest = Coordinator.Protos.V1.CreateRequest;
using CreateResponse = Coordinator.Protos.V1.CreateResponse;
using DeleteRequest = Coordinator.Protos.V1.DeleteRequest;
using DeleteResponse = Coordinator.Protos.V1.DeleteResponse;
using GetAclResponse = Coordinator.Protos.V1.GetAclResponse;
using GetChildrenResponse = Coordinator.Protos.V1.GetChildrenResponse;
using JuteAcl = Coordinator.Jute.Records.Acl;
using JuteSetAclRequest = Coordinator.Jute.Records.SetAclRequest;
using JuteStat = Coordinator.Jute.Records.Stat;
using MultiRequest = Coordinator.Protos.V1.MultiRequest;
using MultiResponse = Coordinator.Protos.V1.MultiResponse;
using OpResult = Coordinator.Protos.V1.OpResult;
using SetAclRequest = Coordinator.Protos.V1.SetAclRequest;
using ProtoStat = Coordinator.Protos.V1.Stat;

namespace Coordinator.Host.Grpc;

internal sealed class CoordinatorService(ServerNode server, GrpcSessions sessions, Func<string> clientAddress, string version)
{
    public async Task<CreateSessionResponse> CreateSession(CreateSessionRequest request, HttpContext context, CancellationToken ct)
    {
        if (request.TimeoutMs < 0) throw new GrpcException(GrpcCode.InvalidArgument, $"timeout_ms={request.TimeoutMs} is negative");
        var session = sessions.Open(context);
        var connected = await session.ConnectAsync(request.TimeoutMs, ct);
        sessions.Add(session);
        return new CreateSessionResponse { SessionId = connected.SessionId, TimeoutMs = connected.TimeoutMs, Zxid = server.LastZxid };
    }

    public async Task<KeepAliveResponse> KeepAlive(KeepAliveRequest request, HttpContext context, CancellationToken ct)
    {
        var reply = await sessions.Get(request.SessionId).CallAsync(OpCode.Ping, null, ct);
        return new KeepAliveResponse { Zxid = reply.Header.Zxid };
    }

    public async Task<CloseSessionResponse> CloseSession(CloseSessionRequest request, HttpContext context, CancellationToken ct)
    {
        var reply = Check(await sessions.Get(request.SessionId).CallAsync(OpCode.CloseSession, null, ct), "closeSession");
        return new CloseSessionResponse { Zxid = reply.Header.Zxid };
    }

    public async Task<AuthenticateResponse> Authenticate(AuthenticateRequest request, HttpContext context, CancellationToken ct)
    {
        var session = sessions.Get(request.SessionId);
        Check(await session.CallAsync(OpCode.Auth, new AuthPacket(0, request.Scheme, request.Credentials.ToByteArray()), ct),
            $"scheme '{request.Scheme}' (only digest is supported); the session is closed");
        return new AuthenticateResponse();
    }

    public async Task<CreateResponse> Create(CreateRequest request, HttpContext context, CancellationToken ct)
    {
        var create = ToJute(request);
        var reply = Check(await sessions.Get(request.SessionId).CallAsync(create.Op, create, ct), request.Path);
        var body = reply.Body();
        return new CreateResponse { Path = body.ReadRequiredString(), Stat = ToProto(JuteStat.Read(ref body)), Zxid = reply.Header.Zxid };
    }

    public async Task<GetResponse> Get(GetRequest request, HttpContext context, CancellationToken ct)
    {
        ValidPath(request.Path);
        var reply = Check(await sessions.Get(request.SessionId).CallAsync(OpCode.GetData, new PathWatchRequest(OpCode.GetData, request.Path, false), ct), request.Path);
        var body = reply.Body();
        var data = body.ReadBuffer();
        return new GetResponse { Data = Google.Protobuf.ByteString.CopyFrom(data ?? []), Stat = ToProto(JuteStat.Read(ref body)), Zxid = reply.Header.Zxid };
    }

    public async Task<SetResponse> Set(SetRequest request, HttpContext context, CancellationToken ct)
    {
        ValidPath(request.Path);
        var reply = Check(await sessions.Get(request.SessionId).CallAsync(OpCode.SetData, ToJute(request), ct), request.Path);
        var body = reply.Body();
        return new SetResponse { Stat = ToProto(JuteStat.Read(ref body)), Zxid = reply.Header.Zxid };
    }

    public async Task<DeleteResponse> Delete(DeleteRequest request, HttpContext context, CancellationToken ct)
    {
        ValidPath(request.Path);
        var reply = Check(await sessions.Get(request.SessionId).CallAsync(OpCode.Delete, ToJute(request), ct), request.Path);
        return new DeleteResponse { Zxid = reply.Header.Zxid };
    }

    public async Task<ExistsResponse> Exists(ExistsRequest request, HttpContext context, CancellationToken ct)
    {
        ValidPath(request.Path);
        var reply = await sessions.Get(request.SessionId).CallAsync(OpCode.Exists, new PathWatchRequest(OpCode.Exists, request.Path, false), ct);
        if (reply.Err == ErrorCode.NoNode) return new ExistsResponse { Exists = false, Zxid = reply.Header.Zxid };
        var body = Check(reply, request.Path).Body();
        return new ExistsResponse { Exists = true, Stat = ToProto(JuteStat.Read(ref body)), Zxid = reply.Header.Zxid };
    }

    public async Task<GetChildrenResponse> GetChildren(GetChildrenRequest request, HttpContext context, CancellationToken ct)
    {
        ValidPath(request.Path);
        var reply = Check(await sessions.Get(request.SessionId).CallAsync(OpCode.GetChildren2, new PathWatchRequest(OpCode.GetChildren2, request.Path, false), ct), request.Path);
        var body = reply.Body();
        var response = new GetChildrenResponse { Zxid = reply.Header.Zxid };
        response.Children.AddRange(body.ReadStringVector());
        response.Stat = ToProto(JuteStat.Read(ref body));
        return response;
    }

    public async Task<GetAclResponse> GetAcl(GetAclRequest request, HttpContext context, CancellationToken ct)
    {
        ValidPath(request.Path);
        var reply = Check(await sessions.Get(request.SessionId).CallAsync(OpCode.GetAcl, new PathRequest(OpCode.GetAcl, request.Path), ct), request.Path);
        var body = reply.Body();
        var response = new GetAclResponse { Zxid = reply.Header.Zxid };
        response.Acl.AddRange(JuteAcl.ReadList(ref body).Select(a => new Protos.V1.Acl { Perms = a.Perms, Scheme = a.Id.Scheme, Id = a.Id.Ident }));
        response.Stat = ToProto(JuteStat.Read(ref body));
        return response;
    }

    public async Task<SetAclResponse> SetAcl(SetAclRequest request, HttpContext context, CancellationToken ct)
    {
        ValidPath(request.Path);
        if (request.Acl.Count == 0) throw new GrpcException(GrpcCode.InvalidArgument, "acl must not be empty", ErrorCode.InvalidAcl);
        var set = new JuteSetAclRequest(request.Path, ToJute(request.Acl), request.HasVersion ? request.Version : -1);
        var reply = Check(await sessions.Get(request.SessionId).CallAsync(OpCode.SetAcl, set, ct), request.Path);
        var body = reply.Body();
        return new SetAclResponse { Stat = ToProto(JuteStat.Read(ref body)), Zxid = reply.Header.Zxid };
    }

    public async Task<MultiResponse> Multi(MultiRequest request, HttpContext context, CancellationToken ct)
    {
        if (request.Ops.Count == 0) throw new GrpcException(GrpcCode.InvalidArgument, "a multi needs at least one op");
        var ops = new List<Request>(request.Ops.Count);
        for (int i = 0; i < request.Ops.Count; i++)
        {
            var op = request.Ops[i];
            ops.Add(op.OpCase switch
            {
                Op.OpOneofCase.Create => ToJute(op.Create),
                Op.OpOneofCase.Set => ToJute(op.Set),
                Op.OpOneofCase.Delete => ToJute(op.Delete),
                Op.OpOneofCase.Check => CheckOp(op.Check),
                _ => throw new GrpcException(GrpcCode.InvalidArgument, $"op {i} names no operation"),
            });
        }
        var reply = Check(await sessions.Get(request.SessionId).CallAsync(OpCode.Multi, new Coordinator.Jute.Records.MultiRequest(OpCode.Multi, ops), ct), "multi");
        return ReadMulti(reply, request);
    }

    public Task<StatusResponse> Status(StatusRequest request, HttpContext context, CancellationToken ct) =>
        server.QueryAsync(node =>
        {
            var settings = node.Settings;
            node.Changes.Prune();
            var response = new StatusResponse
            {
                ServerId = settings.ServerId,
                Role = Role.Standalone,
                LeaderId = 0,
                LastZxid = node.LastZxid,
                Version = version,
                WatchWindowSize = node.Changes.Count,
                WatchWindowCapacity = node.Changes.Capacity,
                WatchWindowOldestZxid = node.Changes.FloorZxid,
                SessionCount = node.SessionCount,
                WatchStreamCount = node.Changes.SubscriptionCount,
            };
            // Standalone today: the only member is this server. The ensemble adds its peers and their roles here.
            response.Members.Add(new Member { Id = settings.ServerId, Address = clientAddress(), Role = Role.Standalone });
            return response;
        }, ct);

    // ---- mapping ----

    private static Reply Check(Reply reply, string what) =>
        reply.Err == ErrorCode.Ok ? reply : throw GrpcException.FromZooKeeper(reply.Err, what);

    private static void ValidPath(string path, bool sequential = false)
    {
        if (PathValidation.Validate(path, sequential) is { } problem)
            throw new GrpcException(GrpcCode.InvalidArgument, $"path '{path}' is not valid: {problem}", ErrorCode.BadArguments);
    }

    private static Coordinator.Jute.Records.CreateRequest ToJute(Protos.V1.CreateRequest request)
    {
        if (!Enum.IsDefined(request.Mode)) throw new GrpcException(GrpcCode.InvalidArgument, $"mode {(int)request.Mode} is not a CreateMode");
        var mode = (Coordinator.Core.CreateMode)(int)request.Mode;
        ValidPath(request.Path, mode.IsSequential());
        if (mode.IsTtl() && request.TtlMs <= 0)
            throw new GrpcException(GrpcCode.InvalidArgument, $"mode {request.Mode} needs ttl_ms > 0", ErrorCode.BadArguments);
        var op = mode.IsContainer() ? OpCode.CreateContainer : mode.IsTtl() ? OpCode.CreateTtl : OpCode.Create2;
        var acl = request.Acl.Count == 0 ? JuteAcl.OpenAclUnsafe.ToList() : ToJute(request.Acl);
        return new Coordinator.Jute.Records.CreateRequest(op, request.Path, request.Data.ToByteArray(), acl, (int)mode, mode.IsTtl() ? request.TtlMs : -1);
    }

    private static List<JuteAcl> ToJute(IEnumerable<Protos.V1.Acl> acl) => acl.Select(a => new JuteAcl(a.Perms, new Id(a.Scheme, a.Id))).ToList();

    private static SetDataRequest ToJute(SetRequest request)
    {
        ValidPath(request.Path);
        return new SetDataRequest(request.Path, request.Data.ToByteArray(), request.HasVersion ? request.Version : -1);
    }

    private static Coordinator.Jute.Records.DeleteRequest ToJute(Protos.V1.DeleteRequest request)
    {
        ValidPath(request.Path);
        return new Coordinator.Jute.Records.DeleteRequest(OpCode.Delete, request.Path, request.HasVersion ? request.Version : -1);
    }

    private static CheckVersionRequest CheckOp(Protos.V1.CheckOp check)
    {
        ValidPath(check.Path);
        return new CheckVersionRequest(check.Path, check.HasVersion ? check.Version : -1);
    }

    /// <summary>
    /// Decodes a multi reply: one result per op, or, when the transaction was rolled back, the status of the op
    /// that failed it (the others read Ok before it and RuntimeInconsistency after it).
    /// </summary>
    private static MultiResponse ReadMulti(Reply reply, MultiRequest request)
    {
        var body = reply.Body();
        var response = new MultiResponse { Zxid = reply.Header.Zxid };
        (int Index, ErrorCode Err)? failure = null;
        for (int i = 0; ; i++)
        {
            var header = MultiHeader.Read(ref body);
            if (header.Done) break;
            switch ((OpCode)header.Type)
            {
                case OpCode.Error:
                    var err = (ErrorCode)body.ReadInt();
                    if (failure is null && err is not (ErrorCode.Ok or ErrorCode.RuntimeInconsistency)) failure = (i, err);
                    break;
                case OpCode.Create:
                    response.Results.Add(new OpResult { Create = new CreateResponse { Path = body.ReadRequiredString(), Zxid = reply.Header.Zxid } });
                    break;
                case OpCode.Create2:
                    response.Results.Add(new OpResult { Create = new CreateResponse { Path = body.ReadRequiredString(), Stat = ToProto(JuteStat.Read(ref body)), Zxid = reply.Header.Zxid } });
                    break;
                case OpCode.SetData:
                    response.Results.Add(new OpResult { Set = new SetResponse { Stat = ToProto(JuteStat.Read(ref body)), Zxid = reply.Header.Zxid } });
                    break;
                case OpCode.Delete:
                    response.Results.Add(new OpResult { Delete = new DeleteResponse { Zxid = reply.Header.Zxid } });
                    break;
                case OpCode.Check:
                    response.Results.Add(new OpResult { Check = new CheckResult() });
                    break;
                default:
                    throw new GrpcException(GrpcCode.Internal, $"unexpected result type {header.Type} in a multi reply");
            }
        }
        if (failure is { } f)
        {
            var op = request.Ops[f.Index];
            string path = op.OpCase switch
            {
                Op.OpOneofCase.Create => op.Create.Path,
                Op.OpOneofCase.Set => op.Set.Path,
                Op.OpOneofCase.Delete => op.Delete.Path,
                _ => op.Check.Path,
            };
            throw GrpcException.FromZooKeeper(f.Err, $"op {f.Index} ({op.OpCase} {path}) failed; nothing was applied", f.Index);
        }
        return response;
    }

    public static ProtoStat ToProto(JuteStat s) => new()
    {
        Czxid = s.Czxid, Mzxid = s.Mzxid, Ctime = s.Ctime, Mtime = s.Mtime, Version = s.Version, Cversion = s.Cversion,
        Aversion = s.Aversion, EphemeralOwner = s.EphemeralOwner, DataLength = s.DataLength, NumChildren = s.NumChildren, Pzxid = s.Pzxid,
    };
}
