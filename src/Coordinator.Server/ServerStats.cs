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
