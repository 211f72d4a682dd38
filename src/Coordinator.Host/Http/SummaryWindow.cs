// Quantiles over roughly the last ten minutes for a cumulative histogram, the way ZooKeeper's Prometheus summaries age out old samples.
//
// ZooKeeper's summaries (Prometheus simpleclient) report quantiles of the observations in a sliding window
// (maxAgeSeconds 600 in five age buckets), and NaN when the window is empty; _count and _sum stay cumulative.
// The SDK only keeps cumulative bucket counts, so each scrape keeps a few earlier cumulative snapshots (at most
// one per WindowStep) and subtracts the oldest one still inside the window: the quantiles then describe what
// was observed since then, from between WindowLength - WindowStep and WindowLength ago (since start while no
// snapshot is that old, and again when scrapes come less often than WindowLength). A quantile is interpolated linearly inside its bucket, as PromQL's
// histogram_quantile does, so its precision is the bucket layout's (MetricCatalog.LatencyBucketsMs).
namespace Coordinator.Host.Http;

internal sealed class SummaryWindow
{
    public static readonly TimeSpan WindowLength = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan WindowStep = TimeSpan.FromMinutes(2);

    /// <summary>Snapshots kept: enough to span the window at one per step, and a bound however often scrapes come.</summary>
    public const int SnapshotsMax = 8;

    private readonly Queue<(DateTimeOffset At, long[] Counts)> _snapshots = new();

    /// <summary>Records the current cumulative counts and returns the counts observed within the window.</summary>
    public long[] Advance(long[] cumulative, DateTimeOffset now)
    {
        while (_snapshots.Count > 0 && (now - _snapshots.Peek().At > WindowLength || _snapshots.Peek().Counts.Length != cumulative.Length))
            _snapshots.Dequeue();
        var recent = (long[])cumulative.Clone();
        if (_snapshots.TryPeek(out var oldest))
        {
            for (int i = 0; i < recent.Length; i++) recent[i] = Math.Max(0, recent[i] - oldest.Counts[i]);
        }
        bool due = _snapshots.Count == 0 || now - _snapshots.Last().At >= WindowStep;
        if (due)
        {
            if (_snapshots.Count == SnapshotsMax) _snapshots.Dequeue();
            _snapshots.Enqueue((now, (long[])cumulative.Clone()));
        }
        return recent;
    }

    /// <summary>
    /// The <paramref name="q"/> quantile of observations counted per bucket (<paramref name="bounds"/> are upper bounds,
    /// the last +Inf); NaN when there are none. Values above the last finite bound report that bound.
    /// </summary>
    public static double Quantile(double[] bounds, long[] counts, double q)
    {
        long total = 0;
        foreach (long c in counts) total += c;
        if (total == 0) return double.NaN;
        double rank = q * total;
        long below = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0 || below + counts[i] < rank)
            {
                below += counts[i];
                continue;
            }
            double upper = bounds[i];
            double lower = i == 0 ? Math.Min(0, upper) : bounds[i - 1];
            if (double.IsPositiveInfinity(upper)) return lower;
            return lower + (upper - lower) * ((rank - below) / counts[i]);
        }
        return bounds.Length > 1 ? bounds[^2] : double.NaN;
    }
}
