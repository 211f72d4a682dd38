// Class fixture: our server in-process on an OS-chosen loopback port, short ticks for fast expiry, temp dataDir.
using Coordinator.Host;
using Coordinator.Server.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coordinator.Client.Tests.Servers;

public sealed class CoordinatorServer : IServerFixture, IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "coordinator-client-tests-" + Guid.NewGuid().ToString("N"));
    private CoordinatorHost? _host;

    public string Name => "Coordinator";

    public string HostPort => "127.0.0.1:" + (_host ?? throw new InvalidOperationException("server not started")).ClientEndPoint.Port;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataDir);
        _host = await CoordinatorHost.StartAsync(ServerSettings.Default with
        {
            ClientPort = 0,
            ClientPortAddress = "127.0.0.1",
            DataDir = _dataDir,
            TickTimeMs = 200,
            // The same session timeout as ZooKeeper's fixture grants, so the suites behave alike.
            MaxSessionTimeoutMs = 4000,
            MaxClientCnxns = 0,
            ForceSync = false,
            AdminEnableServer = false,
            AdminServerPort = 0,
            AdminServerAddress = "127.0.0.1",
            MetricsHttpPort = 0,
            MetricsHttpHost = "127.0.0.1",
        }, NullLoggerFactory.Instance);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
