// A small HTTP/1.1 Kestrel server on one address and port (0 = OS-chosen), for the admin API and the Prometheus endpoint.
//
// Built with WebApplication.CreateEmptyBuilder so nothing outside zoo.cfg (ASPNETCORE_* variables, appsettings
// files) changes where it listens. ASP.NET's own logs go to the node's logger factory, Microsoft.* categories only
// from Warning up (so no "Application started" chatter). Connections, headers and bodies are bounded.
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Http;

/// <summary>Thrown when an HTTP endpoint cannot listen; the message names the setting, address and port.</summary>
public sealed class HttpEndpointException(string message, Exception inner) : Exception(message, inner);

internal sealed class HttpEndpoint : IAsyncDisposable
{
    /// <summary>Concurrent HTTP connections per endpoint; monitoring needs a handful.</summary>
    public const int ConnectionsMax = 64;

    /// <summary>No endpoint takes a request body; anything larger than this is refused.</summary>
    public const int RequestBodyBytesMax = 4 * 1024;

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;

    private HttpEndpoint(WebApplication app, IPEndPoint endPoint)
    {
        _app = app;
        EndPoint = endPoint;
    }

    /// <summary>The address and port actually bound (the OS's choice when the setting was 0).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>
    /// Binds <paramref name="host"/>:<paramref name="port"/>, maps the routes and starts serving.
    /// <paramref name="setting"/> names the zoo.cfg keys in the error when binding fails.
    /// </summary>
    public static async Task<HttpEndpoint> StartAsync(string setting, string host, int port, ILoggerFactory loggers, Action<WebApplication> map)
    {
        IPAddress address;
        try
        {
            address = Resolve(host);
        }
        catch (SocketException e)
        {
            throw new HttpEndpointException($"{setting}: cannot resolve {host}: {e.Message}", e);
        }
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(loggers));
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = ConnectionsMax;
            k.Limits.MaxRequestBodySize = RequestBodyBytesMax;
            k.Listen(address, port, o => o.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        map(app);
        try
        {
            await app.StartAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
        {
            await app.DisposeAsync();
            throw new HttpEndpointException($"{setting}: cannot listen on {host}:{port}: {e.Message}", e);
        }
        return new HttpEndpoint(app, new IPEndPoint(address, BoundPort(app, port)));
    }

    /// <summary>Reads the port Kestrel bound, which is only known after start when the setting was 0.</summary>
    private static int BoundPort(WebApplication app, int configured)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (string a in addresses)
        {
            if (Uri.TryCreate(a, UriKind.Absolute, out var uri) && uri.Port > 0) return uri.Port;
        }
        return configured;
    }

    /// <summary>An IP address as given, "localhost" as the IPv4 loopback, any other name by DNS (its first address).</summary>
    private static IPAddress Resolve(string host)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        var found = Dns.GetHostAddresses(host);
        return found.Length > 0 ? found[0] : throw new SocketException((int)SocketError.HostNotFound);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync();
    }

    /// <summary>Hands ASP.NET's loggers to the node's factory, so its lines look like every other line.</summary>
    private sealed class ForwardingLoggerProvider(ILoggerFactory loggers) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => loggers.CreateLogger(categoryName);

        public void Dispose() { }
    }
}

/// <summary>Small helpers both endpoints use to answer.</summary>
internal static class HttpAnswers
{
    public static Task Text(HttpContext context, int status, string contentType, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(body, context.RequestAborted);
    }
}
