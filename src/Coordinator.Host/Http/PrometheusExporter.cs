// An OpenTelemetry metric exporter that renders one collection as Prometheus text format 0.0.4, with ZooKeeper's names and types.
//
// Naming: instruments of the node's meter ("Coordinator.Server") already carry ZooKeeper's Prometheus names
// (znode_count, readlatency, process_cpu_seconds_total) and are printed as they are. Every other meter (the
// runtime's "System.Runtime") gets OpenTelemetry's Prometheus convention: dots to underscores, a unit suffix
// (_bytes, _seconds) and _total on counters, e.g. dotnet_gc_collections_total.
// Types: sums are counters (monotonic) or gauges; gauges are gauges; histograms ZooKeeper exposes as summaries
// (MetricCatalog.SummaryQuantiles) become summaries whose quantiles are estimated from the buckets over a sliding
// window (SummaryWindow), other histograms become Prometheus histograms.
using System.Globalization;
using System.Text;
using Coordinator.Server.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Coordinator.Host.Http;

internal sealed class PrometheusExporter : BaseExporter<Metric>
{
    /// <summary>
    /// Runtime instruments .NET declares as ObservableCounter although they go up and down (OpenTelemetry's
    /// semantic conventions call them UpDownCounters); a counter would make rate() on them meaningless.
    /// </summary>
    private static readonly HashSet<string> RuntimeGaugesDeclaredAsCounters = new(StringComparer.Ordinal)
    {
        "dotnet.thread_pool.thread.count", "dotnet.thread_pool.queue.length",
    };

    private readonly Dictionary<string, SummaryWindow> _windows = new(StringComparer.Ordinal);
    private readonly HashSet<string> _rendered = new(StringComparer.Ordinal);
    private StringBuilder? _text;

    /// <summary>Runs <paramref name="collect"/> (which makes the reader call Export) and returns what Export rendered.</summary>
    public string Render(Func<bool> collect)
    {
        lock (_windows)
        {
            _text = new StringBuilder(16 * 1024);
            _rendered.Clear();
            try
            {
                collect();
                // The SDK skips a histogram until its first observation; ZooKeeper shows its summaries from the
                // start (NaN quantiles, zero count), so dashboards find the series before the first request.
                foreach (var (name, quantiles) in MetricCatalog.SummaryQuantiles)
                {
                    if (!_rendered.Contains(name)) AppendEmptySummary(_text, name, quantiles);
                }
                return _text.ToString();
            }
            finally
            {
                _text = null;
            }
        }
    }

    public override ExportResult Export(in Batch<Metric> batch)
    {
        // The SDK also collects once at shutdown; with no scrape waiting there is nothing to render.
        if (_text is not { } text) return ExportResult.Success;
        foreach (var metric in batch) Append(text, metric);
        return ExportResult.Success;
    }

    private void Append(StringBuilder text, Metric metric)
    {
        bool ours = metric.MeterName == ServerMetrics.MeterName;
        string name = ours ? Sanitize(metric.Name) : PrometheusName(metric);
        var points = new List<MetricPoint>();
        foreach (ref readonly var point in metric.GetMetricPoints()) points.Add(point);
        // A gauge whose callback reported nothing (fds off Linux) is left out entirely, as ZooKeeper leaves it out.
        if (points.Count == 0) return;
        string help = string.IsNullOrEmpty(metric.Description) ? name : metric.Description;
        if (ours) _rendered.Add(name);
        if (metric.MetricType == MetricType.Histogram)
        {
            if (ours && MetricCatalog.SummaryQuantiles.TryGetValue(metric.Name, out var quantiles))
                AppendSummary(text, name, help, points, quantiles);
            else
                AppendHistogram(text, name, help, points);
            return;
        }
        string type = IsCounter(metric) ? "counter" : "gauge";
        Header(text, name, help, type);
        foreach (var point in points)
        {
            double value = metric.MetricType switch
            {
                MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
                MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
                MetricType.LongGauge => point.GetGaugeLastValueLong(),
                _ => point.GetGaugeLastValueDouble(),
            };
            Sample(text, name, Labels(point), value);
        }
    }

    private void AppendSummary(StringBuilder text, string name, string help, List<MetricPoint> points, double[] quantiles)
    {
        Header(text, name, help, "summary");
        foreach (var point in points)
        {
            var (bounds, counts) = Buckets(point);
            string key = name + Labels(point);
            if (!_windows.TryGetValue(key, out var window)) _windows[key] = window = new SummaryWindow();
            var recent = window.Advance(counts, DateTimeOffset.UtcNow);
            string labels = Labels(point);
            foreach (double q in quantiles)
            {
                string quantile = "quantile=\"" + Number(q) + "\"";
                Sample(text, name, labels.Length == 0 ? "{" + quantile + "}" : labels[..^1] + "," + quantile + "}",
                    SummaryWindow.Quantile(bounds, recent, q));
            }
            Sample(text, name + "_count", labels, point.GetHistogramCount());
            Sample(text, name + "_sum", labels, point.GetHistogramSum());
        }
    }

    private static void AppendEmptySummary(StringBuilder text, string name, double[] quantiles)
    {
        Header(text, name, name, "summary");
        foreach (double q in quantiles) Sample(text, name, "{quantile=\"" + Number(q) + "\"}", double.NaN);
        Sample(text, name + "_count", "", 0);
        Sample(text, name + "_sum", "", 0);
    }

    private static void AppendHistogram(StringBuilder text, string name, string help, List<MetricPoint> points)
    {
        Header(text, name, help, "histogram");
        foreach (var point in points)
        {
            var (bounds, counts) = Buckets(point);
            string labels = Labels(point);
            long cumulative = 0;
            for (int i = 0; i < bounds.Length; i++)
            {
                cumulative += counts[i];
                string le = "le=\"" + Number(bounds[i]) + "\"";
                Sample(text, name + "_bucket", labels.Length == 0 ? "{" + le + "}" : labels[..^1] + "," + le + "}", cumulative);
            }
            Sample(text, name + "_count", labels, point.GetHistogramCount());
            Sample(text, name + "_sum", labels, point.GetHistogramSum());
        }
    }

    /// <summary>Upper bounds (the last is +Inf) and the count in each bucket, not cumulative.</summary>
    private static (double[] Bounds, long[] Counts) Buckets(MetricPoint point)
    {
        var bounds = new List<double>();
        var counts = new List<long>();
        foreach (var bucket in point.GetHistogramBuckets())
        {
            bounds.Add(bucket.ExplicitBound);
            counts.Add(bucket.BucketCount);
        }
        return ([.. bounds], [.. counts]);
    }

    private static void Header(StringBuilder text, string name, string help, string type)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    private static void Sample(StringBuilder text, string name, string labels, double value) =>
        text.Append(name).Append(labels).Append(' ').Append(Number(value)).Append('\n');

    /// <summary>"{key="value",...}" from the point's tags, or empty.</summary>
    private static string Labels(MetricPoint point)
    {
        var labels = new StringBuilder();
        foreach (var tag in point.Tags)
        {
            labels.Append(labels.Length == 0 ? '{' : ',').Append(Sanitize(tag.Key)).Append("=\"")
                .Append(EscapeLabel(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "")).Append('"');
        }
        return labels.Length == 0 ? "" : labels.Append('}').ToString();
    }

    /// <summary>OpenTelemetry's Prometheus naming: sanitized name, unit suffix, _total for counters.</summary>
    public static string PrometheusName(Metric metric)
    {
        string name = Sanitize(metric.Name);
        string unit = metric.Unit switch
        {
            "By" => "bytes",
            "s" => "seconds",
            "ms" => "milliseconds",
            "1" => "ratio",
            _ => "",
        };
        if (unit.Length > 0 && !name.EndsWith("_" + unit, StringComparison.Ordinal)) name += "_" + unit;
        if (IsCounter(metric) && !name.EndsWith("_total", StringComparison.Ordinal)) name += "_total";
        return name;
    }

    private static bool IsCounter(Metric metric) =>
        metric.MetricType is MetricType.LongSum or MetricType.DoubleSum && !RuntimeGaugesDeclaredAsCounters.Contains(metric.Name);

    /// <summary>Metric and label names may only hold [a-zA-Z0-9_:] and not start with a digit.</summary>
    public static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            char c = chars[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':')) chars[i] = '_';
        }
        string result = new(chars);
        return result.Length > 0 && char.IsAsciiDigit(result[0]) ? "_" + result : result;
    }

    /// <summary>Prometheus spells the special values NaN, +Inf and -Inf.</summary>
    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string EscapeHelp(string help) => help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
