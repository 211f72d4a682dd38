// The summary quantile estimate and its sliding window, and the Prometheus naming of non-ZooKeeper instruments.
using Coordinator.Host.Http;

namespace Coordinator.Host.Tests;

public sealed class MetricsSummaryWindowTests
{
    private static readonly double[] Bounds = [0, 1, 2, 5, 10, double.PositiveInfinity];

    [Fact]
    public void NoObservationsIsNaN() => Assert.True(double.IsNaN(SummaryWindow.Quantile(Bounds, [0, 0, 0, 0, 0, 0], 0.5)));

    [Fact]
    public void AllZeroLatenciesGiveZero() => Assert.Equal(0, SummaryWindow.Quantile(Bounds, [7, 0, 0, 0, 0, 0], 0.99));

    [Fact]
    public void QuantilesInterpolateInsideTheirBucket()
    {
        // 10 observations in (2, 5]: the median sits halfway through that bucket.
        Assert.Equal(3.5, SummaryWindow.Quantile(Bounds, [0, 0, 0, 10, 0, 0], 0.5), 6);
        // 50 at 0, 50 in (0, 1]: p90 is 80% into the second bucket.
        Assert.Equal(0.8, SummaryWindow.Quantile(Bounds, [50, 50, 0, 0, 0, 0], 0.9), 6);
    }

    [Fact]
    public void ObservationsBeyondTheLastBoundReportThatBound() =>
        Assert.Equal(10, SummaryWindow.Quantile(Bounds, [0, 0, 0, 0, 0, 4], 0.5));

    [Fact]
    public void TheWindowForgetsOldObservations()
    {
        var window = new SummaryWindow();
        var start = DateTimeOffset.UnixEpoch;
        // 100 slow requests before the first scrape: they are all the window knows.
        Assert.Equal([0, 0, 0, 0, 100, 0], window.Advance([0, 0, 0, 0, 100, 0], start));
        // Then fast ones only; after the window has passed, the slow ones no longer count.
        var t = start;
        long fast = 0;
        long[] recent = [];
        for (int minute = 1; minute <= 13; minute++)
        {
            t = start.AddMinutes(minute);
            fast += 10;
            recent = window.Advance([fast, 0, 0, 0, 100, 0], t);
        }
        Assert.Equal(0, recent[4]);
        Assert.InRange(recent[0], 80, 100);
        Assert.Equal(0, SummaryWindow.Quantile(Bounds, recent, 0.99));
    }

    [Fact]
    public void TheWindowKeepsABoundedNumberOfSnapshots()
    {
        var window = new SummaryWindow();
        var t = DateTimeOffset.UnixEpoch;
        for (int i = 0; i < 10_000; i++) window.Advance([i, 0, 0, 0, 0, 0], t = t.AddSeconds(1));
        var recent = window.Advance([10_000, 0, 0, 0, 0, 0], t.AddSeconds(1));
        // Whatever the scrape rate, the window spans at most its length.
        Assert.InRange(recent[0], 1, (long)SummaryWindow.WindowLength.TotalSeconds + 1);
    }

    [Theory]
    [InlineData("dotnet.gc.heap.total_allocated", "dotnet_gc_heap_total_allocated")]
    [InlineData("a-b c", "a_b_c")]
    [InlineData("9lives", "_9lives")]
    public void NamesAreSanitized(string name, string expected) => Assert.Equal(expected, PrometheusExporter.Sanitize(name));

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(0.5, "0.5")]
    [InlineData(1e21, "1E+21")]
    public void NumbersUsePrometheusSpelling(double value, string expected) => Assert.Equal(expected, PrometheusExporter.Number(value));
}
