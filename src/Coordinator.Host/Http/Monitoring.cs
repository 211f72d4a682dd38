// Starts and stops a node's monitoring surface: telemetry pipeline, Prometheus endpoint and (unless disabled) the admin server.
using System.Net;
using Coordinator.Server;
using Coordinator.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Http;

public sealed partial class Monitoring : IAsyncDisposable
{
    private readonly Telemetry _telemetry;
    private readonly HttpEndpoint _metrics;
    private readonly HttpEndpoint? _admin;

    private Monitoring(Telemetry telemetry, HttpEndpoint metrics, HttpEndpoint? admin)
    {
        _telemetry = telemetry;
        _metrics = metrics;
        _admin = admin;
    }

    /// <summary>Where /metrics is served (the bound port when metricsProvider.httpPort was 0).</summary>
    public IPEndPoint MetricsEndPoint => _metrics.EndPoint;

    /// <summary>Where the admin server listens; null when admin.enableServer=false.</summary>
    public IPEndPoint? AdminEndPoint => _admin?.EndPoint;

    /// <summary>Where OTLP export goes; null when it is off.</summary>
    public Uri? OtlpEndpoint => _telemetry.OtlpEndpoint;

    /// <summary>True when request spans are recorded (a tracer exists only with OTLP export on).</summary>
    public bool Tracing => _telemetry.Tracing;

    /// <summary>Starts everything or nothing: on a failure (a port in use) what was started is stopped again.</summary>
    public static async Task<Monitoring> StartAsync(ServerNode node, FourLetterWords words, Func<FourLetterWordContext> context, ILoggerFactory loggers)
    {
        var settings = node.Settings;
        var log = loggers.CreateLogger<Monitoring>();
        var facts = context();
        var gauges = new NodeGauges(node, facts.Version);
        var telemetry = Telemetry.Start(node, $"{facts.ClientAddress}:{facts.ClientPort}");
        HttpEndpoint? metrics = null;
        try
        {
            var metricsServer = new MetricsServer(gauges, telemetry, loggers.CreateLogger<MetricsServer>());
            metrics = await HttpEndpoint.StartAsync("metricsProvider.httpHost/httpPort", settings.MetricsHttpHost, settings.MetricsHttpPort, loggers, metricsServer.Map);
            LogMetrics(log, $"http://{metrics.EndPoint}{MetricsServer.Path}");
            HttpEndpoint? admin = null;
            if (settings.AdminEnableServer)
            {
                var adminServer = new AdminServer(node, new AdminCommands(node, words, context), loggers.CreateLogger<AdminServer>());
                admin = await HttpEndpoint.StartAsync("admin.serverAddress/serverPort", settings.AdminServerAddress, settings.AdminServerPort, loggers, adminServer.Map);
                LogAdmin(log, $"http://{admin.EndPoint}{AdminServer.CommandUrl}");
            }
            else
            {
                LogAdminDisabled(log);
            }
            if (telemetry.OtlpEndpoint is { } otlp) LogOtlp(log, otlp.ToString(), settings.OtlpProtocol);
            return new Monitoring(telemetry, metrics, admin);
        }
        catch
        {
            if (metrics is not null) await metrics.DisposeAsync();
            telemetry.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null) await _admin.DisposeAsync();
        await _metrics.DisposeAsync();
        // Last, so OTLP pushes what was measured up to the end.
        _telemetry.Dispose();
    }

    [LoggerMessage(EventId = 320, Level = LogLevel.Information, Message = "Serving Prometheus metrics at {Url}")]
    private static partial void LogMetrics(ILogger log, string url);

    [LoggerMessage(EventId = 321, Level = LogLevel.Information, Message = "Admin server at {Url} (health: /health/live, /health/ready)")]
    private static partial void LogAdmin(ILogger log, string url);

    [LoggerMessage(EventId = 322, Level = LogLevel.Information, Message = "Admin server disabled (admin.enableServer=false)")]
    private static partial void LogAdminDisabled(ILogger log);

    [LoggerMessage(EventId = 323, Level = LogLevel.Information, Message = "Exporting metrics and traces over OTLP to {Endpoint} ({Protocol})")]
    private static partial void LogOtlp(ILogger log, string endpoint, string protocol);
}
