// The server loop's view of one connection: its session, the ids it has authenticated as, and its replies in request order.
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Server;

/// <summary>
/// One reply position in a connection's FIFO: a packet ready to go, a read that must wait for the writes before
/// it, or (neither) a write whose txn is not applied yet.
/// </summary>
internal sealed class ReplySlot
{
    public ReadOnlyMemory<byte>? Packet { get; set; }
    public RequestCommand? DeferredRead { get; init; }

    /// <summary>Runs once the packet is sent (closeSession closes the connection after its reply).</summary>
    public Action? AfterSend { get; init; }
}

internal sealed class ClientState(IClientConnection connection)
{
    public IClientConnection Connection { get; } = connection;
    public long SessionId { get; set; }
    public bool Closing { get; set; }

    /// <summary>Set once closeSession is accepted: later requests on the connection are ignored.</summary>
    public bool CloseRequested { get; set; }

    /// <summary>Every connection starts authenticated as its IP address, as in ZooKeeper.</summary>
    public List<Id> Auth { get; } = [new Id("ip", connection.RemoteAddress)];

    public RequestSession Session => new(SessionId, Auth);

    /// <summary>
    /// Replies that must wait for an earlier write of this connection: ZooKeeper answers a session's requests in
    /// the order they were sent, so a read after a write sees the write.
    /// </summary>
    public Queue<ReplySlot> Replies { get; } = new();
}
