// The gRPC API's HTTP/2 listener (grpc.port): Kestrel with hand-written routing and framing, deadlines and stream limits.
//
// The official .NET gRPC runtime does not restore here (../shared/PACKAGES.md), so each method is one POST route
// that reads the framed request, runs the handler and answers frames plus status trailers. Every exception becomes
// a status, so no call ends without grpc-status.
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Coordinator.Protos.V1;
using Coordinator.Server;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Grpc;

public sealed partial class GrpcEndpoint : IAsyncDisposable
{
    /// <summary>The service's path prefix: /package.Service/.</summary>
    public const string ServicePrefix = "/coordinator.v1.Coordinator/";

    /// <summary>Concurrent gRPC (HTTP/2) connections the endpoint accepts.</summary>
    public const int ConnectionsMax = 1024;

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly GrpcSessions _sessions;

    private GrpcEndpoint(WebApplication app, GrpcSessions sessions, IPEndPoint endPoint)
    {
        _app = app;
        _sessions = sessions;
        EndPoint = endPoint;
    }

    /// <summary>The address and port bound (the OS's choice when grpc.port=0).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Starts listening on grpc.address:grpc.port; throws HttpEndpointException when it cannot bind.</summary>
    public static async Task<GrpcEndpoint> StartAsync(ServerNode server, Func<string> clientAddress, string version, ILoggerFactory loggers)
    {
        var settings = server.Settings;
        int port = settings.GrpcPort ?? throw new InvalidOperationException("grpc.port is not set");
        var address = await ResolveAsync(settings.GrpcAddress);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(loggers));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = ConnectionsMax;
            // A request is one message: at most jute.maxbuffer plus the frame header and protobuf overhead.
            k.Limits.MaxRequestBodySize = settings.JuteMaxBufferBytes + 1024;
            k.Limits.Http2.MaxStreamsPerConnection = settings.GrpcMaxStreamsPerConnection;
            // Watch streams are long-lived and may be idle for hours.
            k.Limits.KeepAliveTimeout = TimeSpan.FromHours(1);
            k.Listen(address, port, o => o.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        var sessions = new GrpcSessions(server);
        var log = loggers.CreateLogger<GrpcEndpoint>();
        var service = new CoordinatorService(server, sessions, clientAddress, version);
        var watches = new WatchStreams(server, sessions);
        int messageMax = settings.JuteMaxBufferBytes + 1024;
        void Unary<TReq, TResp>(string method, MessageParser<TReq> parser, Func<TReq, HttpContext, CancellationToken, Task<TResp>> handler)
            where TReq : IMessage<TReq> where TResp : IMessage<TResp> =>
            app.MapPost(ServicePrefix + method, Call(log, method, parser, messageMax, async (req, ctx, ct) =>
                await GrpcFraming.WriteAsync(ctx.Response, await handler(req, ctx, ct), ct)));
        Unary("CreateSession", CreateSessionRequest.Parser, service.CreateSession);
        Unary("KeepAlive", KeepAliveRequest.Parser, service.KeepAlive);
        Unary("CloseSession", CloseSessionRequest.Parser, service.CloseSession);
        Unary("Authenticate", AuthenticateRequest.Parser, service.Authenticate);
        Unary("Create", CreateRequest.Parser, service.Create);
        Unary("Get", GetRequest.Parser, service.Get);
        Unary("Set", SetRequest.Parser, service.Set);
        Unary("Delete", DeleteRequest.Parser, service.Delete);
        Unary("Exists", ExistsRequest.Parser, service.Exists);
        Unary("GetChildren", GetChildrenRequest.Parser, service.GetChildren);
        Unary("GetAcl", GetAclRequest.Parser, service.GetAcl);
        Unary("SetAcl", SetAclRequest.Parser, service.SetAcl);
        Unary("Multi", MultiRequest.Parser, service.Multi);
        Unary("Status", StatusRequest.Parser, service.Status);
        app.MapPost(ServicePrefix + "Watch", Call(log, "Watch", WatchRequest.Parser, messageMax, watches.RunAsync));
        // Without this, unknown methods get HTTP 404 and clients report a transport error instead of UNIMPLEMENTED.
        app.MapFallback(context =>
        {
            GrpcFraming.Start(context.Response);
            GrpcFraming.EndWith(context.Response, GrpcCode.Unimplemented, $"unknown method {context.Request.Path}");
            return Task.CompletedTask;
        });
        try
        {
            await app.StartAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            await app.DisposeAsync();
            throw new Http.HttpEndpointException($"grpc.address/grpc.port: cannot listen on {settings.GrpcAddress}:{port}: {e.Message}", e);
        }
        var endPoint = new IPEndPoint(address, BoundPort(app, port));
        RegisterGauges(server, sessions);
        LogListening(log, endPoint.ToString());
        return new GrpcEndpoint(app, sessions, endPoint);
    }

    /// <summary>
    /// One call: check it is gRPC, read the request, run the handler under the deadline, and end with a status.
    /// A deadline or a client cancel while a write is queued does not undo the write (as a lost connection).
    /// </summary>
    private static RequestDelegate Call<TReq>(ILogger log, string method, MessageParser<TReq> parser, int messageMax, Func<TReq, HttpContext, CancellationToken, Task> handler)
        where TReq : IMessage<TReq> => async context =>
    {
        var response = context.Response;
        GrpcFraming.Start(response);
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true)
        {
            GrpcFraming.EndWith(response, GrpcCode.InvalidArgument, "content-type must be application/grpc");
            return;
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        try
        {
            if (GrpcFraming.ParseTimeout(context.Request.Headers["grpc-timeout"]) is { } timeout) deadline.CancelAfter(timeout);
            var request = await GrpcFraming.ReadSingleAsync(context.Request, parser, messageMax, deadline.Token);
            await handler(request, context, deadline.Token);
            GrpcFraming.EndOk(response);
        }
        catch (GrpcException e)
        {
            GrpcFraming.EndWith(response, e.Status, e.Message, e.Trailers());
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // The client may already have gone; if not, it learns that its deadline passed.
            if (!context.RequestAborted.IsCancellationRequested) GrpcFraming.EndWith(response, GrpcCode.DeadlineExceeded, "deadline exceeded");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogCallFailed(log, e, method);
            GrpcFraming.EndWith(response, GrpcCode.Internal, $"{method} failed: {e.Message}");
        }
    };

    private static void RegisterGauges(ServerNode server, GrpcSessions sessions)
    {
        var meter = server.Stats.Metrics.Meter;
        var changes = server.Changes;
        meter.CreateObservableGauge("grpc_watch_window_size", () => changes.Count, null, "Changes held for resumable gRPC watches");
        meter.CreateObservableGauge("grpc_watch_window_capacity", () => changes.Capacity, null, "grpc.watchWindow: changes the window holds at most");
        meter.CreateObservableGauge("grpc_watch_window_oldest_zxid", () => changes.FloorZxid, null, "A gRPC watch may resume from this zxid or any later one");
        meter.CreateObservableGauge("grpc_watch_streams", () => changes.SubscriptionCount, null, "Open gRPC watch streams");
        meter.CreateObservableGauge("grpc_sessions", () => sessions.Count, null, "Open sessions created through the gRPC API");
    }

    /// <summary>An IP address as given, "localhost" as the IPv4 loopback, any other name by DNS (its first address).</summary>
    private static async Task<IPAddress> ResolveAsync(string host)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        try
        {
            var found = await Dns.GetHostAddressesAsync(host);
            return found.Length > 0 ? found[0] : throw new SocketException((int)SocketError.HostNotFound);
        }
        catch (SocketException e)
        {
            throw new Http.HttpEndpointException($"grpc.address: cannot resolve {host}: {e.Message}", e);
        }
    }

    private static int BoundPort(WebApplication app, int configured)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (string a in addresses)
        {
            if (Uri.TryCreate(a, UriKind.Absolute, out var uri) && uri.Port > 0) return uri.Port;
        }
        return configured;
    }

    /// <summary>Stops serving; gRPC sessions stay on the server until they expire, as after dropped TCP clients.</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(StopTimeout);
        _sessions.DetachAll();
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync();
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Serving the gRPC API (coordinator.v1) on {EndPoint}")]
    private static partial void LogListening(ILogger log, string endPoint);

    [LoggerMessage(EventId = 401, Level = LogLevel.Error, Message = "gRPC call {Method} failed")]
    private static partial void LogCallFailed(ILogger log, Exception e, string method);

    private sealed class ForwardingLoggerProvider(ILoggerFactory loggers) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => loggers.CreateLogger(categoryName);

        public void Dispose() { }
    }
}
