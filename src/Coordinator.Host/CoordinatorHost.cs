// Wires one node together (server loop, client listener, four-letter words) so Program and in-process tests start it the same way.
using System.Net;
using System.Reflection;
using Coordinator.Host.Network;
using Coordinator.Server;
using Coordinator.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host;

public sealed partial class CoordinatorHost : IAsyncDisposable
{
    /// <summary>The version clients and monitoring see; it leads with the ZooKeeper protocol level we speak.</summary>
    public static readonly string Version = "3.9.0-coordinator-" +
        (typeof(CoordinatorHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0")
        + ", built on " + File.GetLastWriteTimeUtc(typeof(CoordinatorHost).Assembly.Location).ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    private readonly ClientListener _listener;

    private CoordinatorHost(ServerNode server, ClientListener listener)
    {
        Server = server;
        _listener = listener;
    }

    public ServerNode Server { get; }

    public IPEndPoint ClientEndPoint => _listener.EndPoint;

    public static Task<CoordinatorHost> StartAsync(ServerSettings settings, ILoggerFactory loggers, string configPath = "", IReadOnlyList<string>? warnings = null)
    {
        var log = loggers.CreateLogger<CoordinatorHost>();
        foreach (var warning in warnings ?? []) LogConfigWarning(log, warning);
        LogStarting(log, configPath, string.Join(", ", settings.ToConfLines().Select(kv => kv.Key + "=" + kv.Value)));
        Directory.CreateDirectory(settings.DataDir);
        var server = new ServerNode(settings, loggers.CreateLogger<ServerNode>());
        server.Start();
        ClientListener? listener = null;
        var words = new FourLetterWords(server, () => new FourLetterWordContext(
            listener!.EndPoint.Address.ToString(), listener.EndPoint.Port, Version));
        listener = new ClientListener(server, words, loggers.CreateLogger<ClientListener>());
        listener.Start();
        LogListening(log, listener.EndPoint.ToString());
        return Task.FromResult(new CoordinatorHost(server, listener));
    }

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync();
        await Server.DisposeAsync();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Starting Coordinator from {ConfigPath} with {Settings}")]
    private static partial void LogStarting(ILogger log, string configPath, string settings);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Config: {Warning}")]
    private static partial void LogConfigWarning(ILogger log, string warning);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Listening for clients on {EndPoint}")]
    private static partial void LogListening(ILogger log, string endPoint);
}
