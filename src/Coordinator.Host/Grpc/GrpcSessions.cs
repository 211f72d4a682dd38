// The live gRPC sessions of one endpoint, by session id.
using System.Collections.Concurrent;
using Coordinator.Core;
using Coordinator.Server;
using Microsoft.AspNetCore.Http;

namespace Coordinator.Host.Grpc;

internal sealed class GrpcSessions(ServerNode server)
{
    private readonly ConcurrentDictionary<long, GrpcSession> _byId = new();

    public int Count => _byId.Count;

    /// <summary>A new virtual connection for the caller, authenticated as its IP address like a TCP client.</summary>
    public GrpcSession Open(HttpContext context)
    {
        var ip = context.Connection.RemoteIpAddress;
        if (ip is { IsIPv4MappedToIPv6: true }) ip = ip.MapToIPv4();
        return new GrpcSession(server, ip?.ToString() ?? "127.0.0.1", context.Connection.RemotePort, s => _byId.TryRemove(s.SessionId, out _));
    }

    public void Add(GrpcSession session)
    {
        _byId[session.SessionId] = session;
        // Closed while connecting: the close callback ran before the id was known.
        if (session.IsClosed) _byId.TryRemove(session.SessionId, out _);
    }

    /// <summary>The open session with this id, or a status the caller can act on.</summary>
    public GrpcSession Get(long sessionId)
    {
        if (sessionId == 0)
            throw new GrpcException(GrpcCode.InvalidArgument, "session_id is required: open one with CreateSession first");
        if (_byId.TryGetValue(sessionId, out var session) && !session.IsClosed) return session;
        throw GrpcException.FromZooKeeper(ErrorCode.SessionExpired,
            $"session {SessionIds.Hex(sessionId)} is not an open gRPC session of this server (expired, closed or never created here)");
    }

    public void DetachAll()
    {
        foreach (var session in _byId.Values) session.Detach();
        _byId.Clear();
    }
}
