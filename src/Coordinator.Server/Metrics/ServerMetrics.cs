// One node's request instruments (meter "Coordinator.Server", ZooKeeper's metric names) and the per-request trace span.
//
// Instruments live on System.Diagnostics.Metrics so any listener can read them; the Host exports them (Prometheus
// text on /metrics, optional OTLP). Each node owns its Meter instance, so two nodes in one process (tests) never
// mix their figures: exporters select instruments by Meter instance, not only by name.
// Recording is on the server loop's hot path: one histogram update per request, no allocation, and a span only
// when something listens to the ActivitySource (ActivitySource.HasListeners is a field read).
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Coordinator.Jute;

namespace Coordinator.Server.Metrics;

public sealed class ServerMetrics : IDisposable
{
    /// <summary>The meter every node's instruments are published under.</summary>
    public const string MeterName = "Coordinator.Server";

    /// <summary>The ActivitySource request spans come from; a tracer subscribes to it by this name.</summary>
    public const string ActivitySourceName = "Coordinator.Server";

    /// <summary>Process-wide: spans from every node in the process share one source, as they share one tracer.</summary>
    public static ActivitySource Tracing { get; } = new(ActivitySourceName);

    public ServerMetrics()
    {
        Meter = new Meter(MeterName);
        ReadLatency = Meter.CreateHistogram<long>(MetricCatalog.ReadLatency, "ms",
            "Time from receiving a request that writes nothing (reads, sync) to sending its response");
        UpdateLatency = Meter.CreateHistogram<long>(MetricCatalog.UpdateLatency, "ms",
            "Time from receiving a request that becomes a transaction (writes, session create/close) to sending its response");
        FsyncTime = Meter.CreateHistogram<long>(MetricCatalog.FsyncTime, "ms", "Time to fsync the transaction log");
        ElectionTime = Meter.CreateHistogram<long>(MetricCatalog.ElectionTime, "ms", "Time from entering leader election to leaving it");
    }

    /// <summary>This node's meter; gauges that read node state register on it too (<see cref="NodeGauges"/>).</summary>
    public Meter Meter { get; }

    public Histogram<long> ReadLatency { get; }

    public Histogram<long> UpdateLatency { get; }

    /// <summary>Recorded by the storage layer once the txn log is fsynced there; empty until then.</summary>
    public Histogram<long> FsyncTime { get; }

    /// <summary>Recorded once leader election exists; a standalone node never elects, as in ZooKeeper.</summary>
    public Histogram<long> ElectionTime { get; }

    /// <summary>Called on the loop once per answered request with its latency since the packet arrived.</summary>
    public void RecordRequest(long latencyMs, OpCode op)
    {
        bool update = IsUpdate(op);
        (update ? UpdateLatency : ReadLatency).Record(latencyMs);
        if (Tracing.HasListeners()) TraceRequest(latencyMs, op, update);
    }

    /// <summary>
    /// ZooKeeper counts a request in updatelatency when it carries a transaction header (every write, also a
    /// failed one, and session create/close) and in readlatency otherwise (reads, sync, unknown opcodes).
    /// </summary>
    public static bool IsUpdate(OpCode op) => op is
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl or OpCode.Delete
        or OpCode.DeleteContainer or OpCode.SetData or OpCode.SetAcl or OpCode.Check or OpCode.Multi
        or OpCode.Reconfig or OpCode.CreateSession or OpCode.CloseSession;

    /// <summary>
    /// One span per request, reconstructed when the response is sent: it starts when the packet arrived (the
    /// latency ago) and covers queueing, prep, apply and send together. Stage child spans need hooks inside
    /// ServerNode's pipeline and are not recorded yet.
    /// </summary>
    private static void TraceRequest(long latencyMs, OpCode op, bool update)
    {
        var end = DateTimeOffset.UtcNow;
        using var span = Tracing.StartActivity("zk." + op.ToString(), ActivityKind.Server, parentContext: default,
            tags: null, links: null, startTime: end.AddMilliseconds(-latencyMs));
        if (span is null) return;
        span.SetTag("zk.op", op.ToString());
        span.SetTag("zk.update", update);
        span.SetTag("zk.latency_ms", latencyMs);
        span.SetEndTime(end.UtcDateTime);
    }

    public void Dispose() => Meter.Dispose();
}
