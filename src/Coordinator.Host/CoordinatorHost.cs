// Wires one node together (server loop, client listener, four-letter words, monitoring) so Program and in-process tests start it the same way.
using System.Net;
using System.Reflection;
using Coordinator.Host.Grpc;
using Coordinator.Host.Http;
using Coordinator.Host.Network;
using Coordinator.Host.Storage;
using Coordinator.Server;
using Coordinator.Server.Configuration;
using Coordinator.Server.Replication;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host;

public sealed partial class CoordinatorHost : IAsyncDisposable
{
    /// <summary>The version clients and monitoring see; it leads with the ZooKeeper protocol level we speak.</summary>
    public static readonly string Version = "3.9.0-coordinator-" +
        (typeof(CoordinatorHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0")
        + ", built on " + File.GetLastWriteTimeUtc(typeof(CoordinatorHost).Assembly.Location).ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    private readonly ClientListener _listener;
    private readonly DurableStorage _storage;
    private readonly PeerNetwork? _peers;

    private CoordinatorHost(ServerNode server, DurableStorage storage, PeerNetwork? peers, ClientListener listener, Monitoring monitoring, GrpcEndpoint? grpc)
    {
        Server = server;
        _storage = storage;
        _peers = peers;
        _listener = listener;
        Monitoring = monitoring;
        Grpc = grpc;
    }

    public ServerNode Server { get; }

    public IPEndPoint ClientEndPoint => _listener.EndPoint;

    /// <summary>The gRPC API; null unless grpc.port is set.</summary>
    public GrpcEndpoint? Grpc { get; }

    /// <summary>Where the gRPC API listens; null unless grpc.port is set.</summary>
    public IPEndPoint? GrpcEndPoint => Grpc?.EndPoint;

    /// <summary>The Prometheus endpoint, admin server and telemetry (src/Coordinator.Host/Http).</summary>
    public Monitoring Monitoring { get; }

    /// <summary>Where GET /metrics is served; the bound port when metricsProvider.httpPort was 0.</summary>
    public IPEndPoint MetricsEndPoint => Monitoring.MetricsEndPoint;

    /// <summary>Where the admin server listens; null when admin.enableServer=false.</summary>
    public IPEndPoint? AdminEndPoint => Monitoring.AdminEndPoint;

    /// <summary>
    /// Recovers the data directories and starts the node. Throws <see cref="Coordinator.Storage.StorageException"/>
    /// when the data cannot be read, and <see cref="HttpEndpointException"/> (after stopping what started) when an
    /// HTTP port cannot be bound.
    /// </summary>
    public static async Task<CoordinatorHost> StartAsync(ServerSettings settings, ILoggerFactory loggers, string configPath = "", IReadOnlyList<string>? warnings = null)
    {
        var log = loggers.CreateLogger<CoordinatorHost>();
        foreach (var warning in warnings ?? []) LogConfigWarning(log, warning);
        LogStarting(log, configPath, string.Join(", ", settings.ToConfLines().Select(kv => kv.Key + "=" + kv.Value)));
        DurableStorage storage;
        PeerNetwork? peers = null;
        ReplicationSetup? replication = null;
        if (settings.IsStandalone)
        {
            storage = DurableStorage.Open(settings, loggers.CreateLogger<DurableStorage>());
        }
        else
        {
            // A member of an ensemble loads its newest snapshot only; ZAB applies the log after it once committed.
            storage = DurableStorage.OpenReplica(settings, loggers.CreateLogger<DurableStorage>());
            peers = new PeerNetwork(settings.ServerId, settings.Peers, loggers.CreateLogger<PeerNetwork>());
            replication = new ReplicationSetup(peers, storage, storage.AcceptedEpoch, storage.CurrentEpoch,
                storage.SnapshotZxid, storage.LogAfterSnapshot);
            LogJoining(log, settings.ServerId, settings.Self!.ToConfigValue(), settings.Peers.Count, settings.IsObserver ? "observer" : "participant");
        }
        var server = new ServerNode(settings, loggers.CreateLogger<ServerNode>(),
            txnLog: storage, initialTree: storage.Tree, snapshotter: storage, replication: replication);
        server.Start();
        ClientListener? listener = null;
        Func<FourLetterWordContext> context = () => new FourLetterWordContext(
            listener!.EndPoint.Address.ToString(), listener.EndPoint.Port, Version);
        var words = new FourLetterWords(server, context);
        listener = new ClientListener(server, words, loggers.CreateLogger<ClientListener>());
        listener.Start();
        LogListening(log, listener.EndPoint.ToString());
        Monitoring? monitoring = null;
        GrpcEndpoint? grpc = null;
        try
        {
            monitoring = await Monitoring.StartAsync(server, words, context, loggers);
            if (settings.GrpcPort is not null)
                grpc = await GrpcEndpoint.StartAsync(server, () => $"{listener.EndPoint.Address}:{listener.EndPoint.Port}", Version, loggers);
        }
        catch
        {
            if (monitoring is not null) await monitoring.DisposeAsync();
            await listener.DisposeAsync();
            await server.DisposeAsync();
            if (peers is not null) await peers.DisposeAsync();
            server.Stats.Metrics.Dispose();
            storage.Dispose();
            throw;
        }
        return new CoordinatorHost(server, storage, peers, listener, monitoring, grpc);
    }

    public async ValueTask DisposeAsync()
    {
        if (Grpc is not null) await Grpc.DisposeAsync();
        await Monitoring.DisposeAsync();
        await _listener.DisposeAsync();
        await Server.DisposeAsync();
        if (_peers is not null) await _peers.DisposeAsync();
        Server.Stats.Metrics.Dispose();
        _storage.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Starting Coordinator from {ConfigPath} with {Settings}")]
    private static partial void LogStarting(ILogger log, string configPath, string settings);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Config: {Warning}")]
    private static partial void LogConfigWarning(ILogger log, string warning);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Joining the ensemble as server {Id} ({Address}, {Role}) of {Members} members")]
    private static partial void LogJoining(ILogger log, long id, string address, int members, string role);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Listening for clients on {EndPoint}")]
    private static partial void LogListening(ILogger log, string endPoint);
}
