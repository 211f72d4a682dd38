// The server loop's view of one connection: the session it is bound to and the ids it has authenticated as.
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Server;

internal sealed class ClientState(IClientConnection connection)
{
    public IClientConnection Connection { get; } = connection;
    public long SessionId { get; set; }
    public bool Closing { get; set; }

    /// <summary>Every connection starts authenticated as its IP address, as in ZooKeeper.</summary>
    public List<Id> Auth { get; } = [new Id("ip", connection.RemoteAddress)];

    public RequestSession Session => new(SessionId, Auth);
}
