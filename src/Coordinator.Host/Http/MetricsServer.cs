// ZooKeeper's Prometheus endpoint on metricsProvider.httpHost:metricsProvider.httpPort: GET /metrics in text format 0.0.4.
//
// A scrape first has the server loop refresh the node gauges (bounded by NodeGauges.RefreshTimeout; when the
// loop does not answer, the last values are served and a line is logged), then collects every instrument
// through the OpenTelemetry reader. Scrapes are serialized: each renders the whole registry.
using Coordinator.Server.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Http;

internal sealed partial class MetricsServer(NodeGauges gauges, Telemetry telemetry, ILogger<MetricsServer> log)
{
    public const string Path = "/metrics";

    /// <summary>Prometheus text exposition format 0.0.4, as ZooKeeper's provider serves it.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly SemaphoreSlim _scraping = new(1, 1);
    private readonly ILogger _log = log;

    public void Map(WebApplication app)
    {
        app.MapGet(Path, Scrape);
        app.MapFallback("{**path}", Refuse);
    }

    private async Task Scrape(HttpContext context)
    {
        await _scraping.WaitAsync(context.RequestAborted);
        string text;
        try
        {
            if (!await gauges.RefreshAsync(context.RequestAborted)) LogStaleGauges((int)NodeGauges.RefreshTimeout.TotalMilliseconds);
            text = telemetry.ScrapePrometheus();
        }
        finally
        {
            _scraping.Release();
        }
        await HttpAnswers.Text(context, StatusCodes.Status200OK, ContentType, text);
    }

    private Task Refuse(HttpContext context)
    {
        string path = context.Request.Path.ToString();
        bool known = path == Path;
        LogRefused(context.Request.Method, path, context.Connection.RemoteIpAddress?.ToString() ?? "?", known ? "only GET is allowed" : "no such endpoint");
        if (known)
        {
            context.Response.Headers.Allow = "GET";
            return HttpAnswers.Text(context, StatusCodes.Status405MethodNotAllowed, "text/plain; charset=utf-8", "Only GET is allowed.\n");
        }
        return HttpAnswers.Text(context, StatusCodes.Status404NotFound, "text/plain; charset=utf-8", $"Not found. Metrics are served at {Path}.\n");
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Metrics request {Method} {Path} from {Client} refused: {Reason}")]
    private partial void LogRefused(string method, string path, string client, string reason);

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "Serving the previous node gauges: the server loop did not answer within {TimeoutMs} ms")]
    private partial void LogStaleGauges(int timeoutMs);
}
