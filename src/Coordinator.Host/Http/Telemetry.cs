// The OpenTelemetry SDK pipeline of one node: its meter and the runtime's into a Prometheus text reader, plus optional OTLP export.
//
// OpenTelemetry.Extensions.Hosting is not available here (PACKAGES.md §5), so the providers are built and
// disposed by hand. Several nodes may share a process (tests): the "Coordinator.Server" meter name is shared,
// so a view drops every instrument that belongs to another node's Meter instance.
// OTLP (otel.exporter.otlp.endpoint, off by default) adds a periodic metric reader and a tracer for the
// "Coordinator.Server" ActivitySource; without it no tracer exists, so request spans cost one field read.
using Coordinator.Server;
using Coordinator.Server.Configuration;
using Coordinator.Server.Metrics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Coordinator.Host.Http;

internal sealed class Telemetry : IDisposable
{
    /// <summary>The .NET runtime's built-in meter (GC, memory, JIT, thread pool), exported in place of ZooKeeper's JVM metrics.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    public const string ServiceName = "coordinator";

    /// <summary>The longest one OTLP push may take (a collector that does not answer delays shutdown by at most this).</summary>
    public static readonly TimeSpan OtlpExportTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How often metrics are pushed over OTLP.</summary>
    public static readonly TimeSpan OtlpExportInterval = TimeSpan.FromSeconds(15);

    private readonly MeterProvider _meters;
    private readonly TracerProvider? _tracer;
    private readonly BaseExportingMetricReader _prometheusReader;
    private readonly PrometheusExporter _prometheus;

    private Telemetry(MeterProvider meters, TracerProvider? tracer, BaseExportingMetricReader reader, PrometheusExporter prometheus, Uri? otlp)
    {
        _meters = meters;
        _tracer = tracer;
        _prometheusReader = reader;
        _prometheus = prometheus;
        OtlpEndpoint = otlp;
    }

    /// <summary>Where metrics and traces are pushed; null when OTLP export is off.</summary>
    public Uri? OtlpEndpoint { get; }

    /// <summary>True when a tracer listens to the request spans (only with OTLP export on).</summary>
    public bool Tracing => _tracer is not null;

    public static Telemetry Start(ServerNode node, string instanceId)
    {
        var settings = node.Settings;
        var ownMeter = node.Stats.Metrics.Meter;
        var prometheus = new PrometheusExporter();
        var reader = new BaseExportingMetricReader(prometheus) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative };
        var builder = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: CoordinatorHost.Version, serviceInstanceId: instanceId))
            .AddMeter(ServerMetrics.MeterName, RuntimeMeterName)
            .AddView(instrument => View(instrument, ownMeter))
            .AddReader(reader);
        Uri? otlp = settings.OtlpEndpoint is { } endpoint ? new Uri(endpoint) : null;
        TracerProvider? tracer = null;
        if (otlp is not null)
        {
            var protocol = OtlpProtocol(settings.OtlpProtocol);
            builder.AddOtlpExporter((exporter, readerOptions) =>
            {
                Configure(exporter, otlp, protocol, "v1/metrics");
                readerOptions.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
                readerOptions.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)OtlpExportInterval.TotalMilliseconds;
            });
            tracer = Sdk.CreateTracerProviderBuilder()
                .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: CoordinatorHost.Version, serviceInstanceId: instanceId))
                .AddSource(ServerMetrics.ActivitySourceName)
                .AddOtlpExporter(exporter => Configure(exporter, otlp, protocol, "v1/traces"))
                .Build();
        }
        return new Telemetry(builder.Build(), tracer, reader, prometheus, otlp);
    }

    /// <summary>Collects every instrument now and renders the result as Prometheus text.</summary>
    public string ScrapePrometheus() => _prometheus.Render(() => _prometheusReader.Collect(timeoutMilliseconds: 5000));

    /// <summary>Drops other nodes' instruments; gives ZooKeeper's latency histograms millisecond buckets.</summary>
    private static MetricStreamConfiguration? View(System.Diagnostics.Metrics.Instrument instrument, System.Diagnostics.Metrics.Meter ownMeter)
    {
        if (instrument.Meter.Name == ServerMetrics.MeterName && !ReferenceEquals(instrument.Meter, ownMeter)) return MetricStreamConfiguration.Drop;
        if (instrument.Meter.Name == ServerMetrics.MeterName && MetricCatalog.SummaryQuantiles.ContainsKey(instrument.Name))
            return new ExplicitBucketHistogramConfiguration { Boundaries = [.. MetricCatalog.LatencyBucketsMs] };
        return null;
    }

    public static OtlpExportProtocol OtlpProtocol(string protocol) =>
        protocol == ServerSettings.OtlpProtocolHttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;

    /// <summary>gRPC takes the endpoint as given; http/protobuf posts to the signal's path under it, as the OTLP spec's variables do.</summary>
    private static void Configure(OtlpExporterOptions exporter, Uri endpoint, OtlpExportProtocol protocol, string signalPath)
    {
        exporter.Protocol = protocol;
        exporter.TimeoutMilliseconds = (int)OtlpExportTimeout.TotalMilliseconds;
        exporter.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf
            ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath)
            : endpoint;
    }

    public void Dispose()
    {
        _tracer?.Dispose();
        _meters.Dispose();
    }
}
