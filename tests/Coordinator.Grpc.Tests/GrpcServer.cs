// An in-process Coordinator with the gRPC API on OS-chosen loopback ports and a temp dataDir deleted on dispose.
using System.Net;
using Coordinator.Host;
using Coordinator.Server.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coordinator.Grpc.Tests;

public sealed class GrpcServer : IAsyncLifetime
{
    /// <summary>Settings the Python suite expects (its WINDOW, WATCH_BUFFER and STREAMS_MAX constants, min session timeout 400 ms).</summary>
    public const int WatchWindow = 64;
    public const int WatchBuffer = 8;
    public const int TickTimeMs = 200;
    public const int StreamsPerConnection = 8;

    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "coordinator-grpc-" + Guid.NewGuid().ToString("N"));
    private CoordinatorHost? _host;

    public CoordinatorHost Host => _host ?? throw new InvalidOperationException("not started");

    public IPEndPoint GrpcEndPoint => Host.GrpcEndPoint!;

    public IPEndPoint ClientEndPoint => Host.ClientEndPoint;

    public Uri GrpcUri => new($"http://{GrpcEndPoint.Address}:{GrpcEndPoint.Port}");

    public static ServerSettings Settings(string dataDir) => ServerSettings.Default with
    {
        ClientPort = 0,
        ClientPortAddress = "127.0.0.1",
        DataDir = dataDir,
        TickTimeMs = TickTimeMs,
        AdminEnableServer = false,
        AdminServerPort = 0,
        MetricsHttpPort = 0,
        MetricsHttpHost = "127.0.0.1",
        GrpcPort = 0,
        GrpcAddress = "127.0.0.1",
        GrpcWatchWindow = WatchWindow,
        GrpcWatchBuffer = WatchBuffer,
        GrpcMaxStreamsPerConnection = StreamsPerConnection,
    };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataDir);
        _host = await CoordinatorHost.StartAsync(Settings(_dataDir), NullLoggerFactory.Instance);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
