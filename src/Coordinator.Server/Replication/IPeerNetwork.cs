// The server's port to the other members of its ensemble: opaque frames out, frames in, no delivery promise.
namespace Coordinator.Server.Replication;

/// <summary>
/// The links between ensemble members as the server loop sees them. A frame is one encoded peer message; the
/// network neither reads nor reorders frames: frames to one peer arrive in the order sent, or not at all (a
/// broken link loses what it held; ZAB and the forwarding layer resend what matters).
/// </summary>
public interface IPeerNetwork : IAsyncDisposable
{
    /// <summary>
    /// Starts listening for peers and connecting to them. <paramref name="receive"/> gets (sender id, frame) for each
    /// frame that arrives, on a network thread; it must not block for long (it posts to the server loop).
    /// <paramref name="lost"/> gets a peer's id when its link to us breaks (it closed, or its process died): a
    /// follower then looks for a new leader at once instead of waiting syncLimit ticks.
    /// </summary>
    void Start(Action<long, byte[]> receive, Action<long> lost);

    /// <summary>Queues a frame for a peer and returns at once, never blocking the caller (the server loop).</summary>
    void Send(long to, byte[] frame);
}
