// The named limits and timings of the TCP links between ensemble members.
namespace Coordinator.Host.Network;

/// <summary>Bounds and timings for <see cref="PeerNetwork"/>; the defaults suit a production ensemble.</summary>
public sealed record PeerNetworkOptions
{
    /// <summary>
    /// The longest frame accepted on a link. A full snapshot of a large tree travels as one frame, hence the size;
    /// a longer length prefix means a broken or foreign stream, and that connection is closed.
    /// </summary>
    public int FrameBytesMax { get; init; } = 512 * 1024 * 1024;

    /// <summary>
    /// Bytes queued for one peer (while it is down or slow) before further frames to it are dropped. A frame is
    /// always accepted into an empty queue, so a snapshot larger than this limit can still be sent.
    /// </summary>
    public long SendQueueBytesMax { get; init; } = 256L * 1024 * 1024;

    /// <summary>How long one connection attempt to a peer may take before it counts as failed.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>An inbound connection that has not sent its whole handshake by then is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The first pause between connection attempts; it doubles per failure up to <see cref="ReconnectDelayMax"/>.</summary>
    public TimeSpan ReconnectDelayMin { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest pause between connection attempts.</summary>
    public TimeSpan ReconnectDelayMax { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long disposal waits for the network's tasks after cancelling them and closing their sockets.</summary>
    public TimeSpan DisposeTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
