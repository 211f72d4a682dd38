// ZooKeeper's server gauges (znode_count, watch_count, ...) and process gauges as observable instruments on a node's meter.
//
// Observable callbacks run on the exporter's thread, where the node's state must not be read. So the gauges read
// a MonitorValues snapshot that the server loop rendered (mntr, parsed). A Prometheus scrape refreshes it first
// (RefreshAsync) and so sees the state as of the scrape; any other reader (the OTLP exporter's timer) gets the
// last snapshot and starts a refresh in the background when it is older than FreshFor, never blocking.
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;

namespace Coordinator.Server.Metrics;

public sealed class NodeGauges
{
    /// <summary>A snapshot younger than this is served as is.</summary>
    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(1);

    /// <summary>The longest a refresh waits for the loop (a loop that does not answer leaves the last values).</summary>
    public static readonly TimeSpan RefreshTimeout = TimeSpan.FromSeconds(5);

    private readonly ServerNode _node;
    private readonly string _version;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile MonitorValues _snapshot = MonitorValues.Empty;
    // When the snapshot was taken, on the monotonic clock (the node's clock may be a test's fake that stands still).
    private long _takenAtTicks;

    public NodeGauges(ServerNode node, string version)
    {
        _node = node;
        _version = version;
        var meter = node.Stats.Metrics.Meter;
        // A member of an ensemble also exports the quorum gauges; only the leader's mntr has values for them.
        var names = node.Settings.IsStandalone ? MetricCatalog.ServerGauges : MetricCatalog.ServerGauges.Concat(MetricCatalog.LeaderGauges);
        foreach (string name in names)
        {
            meter.CreateObservableGauge(name, () => Observe(name), unit: null, description: name);
        }
        ProcessGauges.Register(meter);
    }

    /// <summary>Takes a new snapshot on the loop; bounded by <see cref="RefreshTimeout"/>. False when the loop did not answer in time.</summary>
    public async Task<bool> RefreshAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RefreshTimeout);
        try
        {
            await _refreshing.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
        return await RefreshHoldingLockAsync(timeout.Token);
    }

    /// <summary>Starts a refresh unless one is running; for callers that must not wait (observable callbacks).</summary>
    private void RefreshInBackground()
    {
        if (!_refreshing.Wait(0)) return;
        var timeout = new CancellationTokenSource(RefreshTimeout);
        _ = RefreshHoldingLockAsync(timeout.Token).ContinueWith(_ => timeout.Dispose(), TaskScheduler.Default);
    }

    private async Task<bool> RefreshHoldingLockAsync(CancellationToken ct)
    {
        try
        {
            _snapshot = await MonitorValues.ReadAsync(_node, _version, ct);
            Interlocked.Exchange(ref _takenAtTicks, Stopwatch.GetTimestamp());
            return true;
        }
        // The loop did not answer in time, or it has stopped (the node is shutting down): keep the last values.
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            return false;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private IEnumerable<Measurement<double>> Observe(string name)
    {
        var snapshot = _snapshot;
        if (IsStale()) RefreshInBackground();
        // A gauge mntr leaves out (file descriptors off Linux) is left out here too, as ZooKeeper does.
        if (snapshot.TryGetNumber(name, out double value)) yield return new Measurement<double>(value);
    }

    private bool IsStale()
    {
        long taken = Interlocked.Read(ref _takenAtTicks);
        return taken == 0 || Stopwatch.GetElapsedTime(taken) > FreshFor;
    }
}
