// The warm-up and the measured window every timed run shares, with what the server spent during the window.
using System.Diagnostics;

namespace Coordinator.Bench;

internal sealed class Measurement
{
    private volatile bool _measuring;

    /// <summary>True inside the measured window: workers count their ops and latencies only then.</summary>
    public bool Measuring => _measuring;

    public double Seconds { get; private set; }
    public double ServerCpuSeconds { get; private set; }
    public double ServerRssMiB { get; private set; }

    /// <summary>How far <c>counter</c> moved during the window (e.g. the server's fsyncs); 0 without one.</summary>
    public long Counted { get; private set; }

    /// <summary>Waits --warmup, then measures for --duration while the caller's workers run.</summary>
    public Task RunAsync(BenchOptions o, int? serverPid, Func<Task<long>>? counter = null) =>
        RunAsync(o, serverPid is { } pid ? [pid] : [], counter);

    /// <summary>As above for several server processes (an ensemble's nodes): CPU and RSS are summed over them.</summary>
    public async Task RunAsync(BenchOptions o, IReadOnlyList<int> serverPids, Func<Task<long>>? counter = null)
    {
        await Task.Delay(TimeSpan.FromSeconds(o.WarmupSeconds));
        long counted0 = counter is null ? 0 : await counter();
        double cpu0 = serverPids.Sum(ProcessProbe.CpuSeconds);
        var clock = Stopwatch.StartNew();
        _measuring = true;
        await Task.Delay(TimeSpan.FromSeconds(o.DurationSeconds));
        _measuring = false;
        Seconds = clock.Elapsed.TotalSeconds;
        Counted = counter is null ? 0 : await counter() - counted0;
        ServerCpuSeconds = serverPids.Sum(ProcessProbe.CpuSeconds) - cpu0;
        ServerRssMiB = serverPids.Sum(ProcessProbe.RssMiB);
    }
}
