// Server-wide request counters and latency figures, written by the loop and read by stat, srvr and mntr.
using Coordinator.Jute;
using Coordinator.Server.Metrics;

namespace Coordinator.Server;

public sealed class ServerStats
{
    public long PacketsReceived { get; set; }
    public long PacketsSent { get; set; }
    public long WatchEventsSent { get; set; }
    public long RequestCount { get; private set; }
    public long TotalLatencyMs { get; private set; }
    public long MinLatencyMs { get; private set; } = long.MaxValue;
    public long MaxLatencyMs { get; private set; }

    /// <summary>The node's instruments (readlatency, updatelatency, ...); srst does not reset them, as in ZooKeeper.</summary>
    public ServerMetrics Metrics { get; } = new();

    /// <summary>Txn-log fsyncs and their times, for mntr's fsynctime summary; written by the log-flusher thread.</summary>
    public FsyncStats Fsyncs { get; } = new();

    /// <summary>Records one answered request in these counters and in the latency histogram its opcode belongs to.</summary>
    public void Record(long latencyMs, OpCode op)
    {
        Record(latencyMs);
        Metrics.RecordRequest(latencyMs, op);
    }

    public void Record(long latencyMs)
    {
        RequestCount++;
        TotalLatencyMs += latencyMs;
        MinLatencyMs = Math.Min(MinLatencyMs, latencyMs);
        MaxLatencyMs = Math.Max(MaxLatencyMs, latencyMs);
    }

    public double AvgLatencyMs => RequestCount == 0 ? 0 : (double)TotalLatencyMs / RequestCount;

    public void Reset()
    {
        PacketsReceived = 0;
        PacketsSent = 0;
        WatchEventsSent = 0;
        RequestCount = 0;
        TotalLatencyMs = 0;
        MinLatencyMs = long.MaxValue;
        MaxLatencyMs = 0;
    }
}

/// <summary>Count, sum, min and max of fsync times (ms), updated by one writer thread and read by any.</summary>
public sealed class FsyncStats
{
    private long _count, _sumMs, _minMs = long.MaxValue, _maxMs;

    public long Count => Interlocked.Read(ref _count);
    public long SumMs => Interlocked.Read(ref _sumMs);
    public long MinMs => Count == 0 ? 0 : Interlocked.Read(ref _minMs);
    public long MaxMs => Interlocked.Read(ref _maxMs);
    public double AvgMs => Count == 0 ? 0 : (double)SumMs / Count;

    public void Record(long ms)
    {
        Interlocked.Add(ref _sumMs, ms);
        if (ms < Interlocked.Read(ref _minMs)) Interlocked.Exchange(ref _minMs, ms);
        if (ms > Interlocked.Read(ref _maxMs)) Interlocked.Exchange(ref _maxMs, ms);
        Interlocked.Increment(ref _count);
    }
}
