// What the server needs from a client connection: send framed packets, close, and identify the peer. Implemented by the host's TCP code.
namespace Coordinator.Server;

public interface IClientConnection
{
    long ConnectionId { get; }

    /// <summary>The peer's IP address as text (used by the ip ACL scheme and by cons).</summary>
    string RemoteAddress { get; }

    int RemotePort { get; }

    /// <summary>
    /// Queues one length-framed packet made by <see cref="Packets"/>; false when the connection's outbound queue is
    /// full or closed. On true the connection owns the packet's pooled array: it calls <see cref="Packets.Return"/>
    /// once it has copied the bytes out (a packet still queued when the connection dies is left to the GC).
    /// </summary>
    bool TrySend(ReadOnlyMemory<byte> framedPacket);

    /// <summary>Sends whatever is queued, then closes. The reason is logged.</summary>
    void Close(string reason);

    ConnectionStats Stats { get; }
}

/// <summary>Counters a connection keeps for the cons and stat four-letter words.</summary>
public sealed class ConnectionStats
{
    private long _packetsReceived;
    private long _packetsSent;

    public DateTimeOffset EstablishedAt { get; init; } = DateTimeOffset.UtcNow;
    public long PacketsReceived => Interlocked.Read(ref _packetsReceived);
    public long PacketsSent => Interlocked.Read(ref _packetsSent);
    public void Received() => Interlocked.Increment(ref _packetsReceived);
    public void Sent() => Interlocked.Increment(ref _packetsSent);

    // The fields below are written by the server loop only.
    public long SessionId { get; set; }
    public int TimeoutMs { get; set; }
    public int LastCxid { get; set; } = -1;
    public long LastZxid { get; set; } = -1;
    public string LastOperation { get; set; } = "NA";
    public long LastLatencyMs { get; set; }
    public long MinLatencyMs { get; set; } = long.MaxValue;
    public long MaxLatencyMs { get; set; }
    public long TotalLatencyMs { get; set; }
    public long RequestCount { get; set; }
    public DateTimeOffset LastResponseAt { get; set; }
}
