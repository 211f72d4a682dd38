// Messages from network threads to the server loop; the loop is the only code that touches server state.
using Coordinator.Consensus;
using Coordinator.Jute.Records;
using Coordinator.Server.Replication;

namespace Coordinator.Server;

internal abstract record Command;

internal sealed record ConnectCommand(IClientConnection Connection, ConnectRequest Request) : Command;

/// <summary>A decoded request. A null <see cref="Request"/> means the opcode is unknown.</summary>
internal sealed record RequestCommand(IClientConnection Connection, RequestHeader Header, Request? Request, long ReceivedTicks) : Command;

internal sealed record AuthCommand(IClientConnection Connection, AuthPacket Packet) : Command;

internal sealed record SetWatchesCommand(IClientConnection Connection, SetWatches Watches) : Command;

internal sealed record DisconnectCommand(IClientConnection Connection) : Command;

internal sealed record TickCommand : Command;

/// <summary>From the snapshotter (or the loop itself): take the next share of the snapshot in progress.</summary>
internal sealed record SnapshotShareCommand : Command
{
    public static readonly SnapshotShareCommand Instance = new();
}

internal sealed record QueryCommand(Action<ServerNode> Run) : Command;

/// <summary>From the log flusher: every txn up to <see cref="Zxid"/> is durable.</summary>
internal sealed record DurableCommand(long Zxid) : Command;

/// <summary>From the log flusher: the log could not be written or synced.</summary>
internal sealed record LogFailedCommand(Exception Error) : Command;

/// <summary>From a peer link: a ZAB message.</summary>
internal sealed record PeerCommand(long From, PeerMessage Message) : Command;

/// <summary>From a peer link: forwarded client work (learner to leader) or its answer.</summary>
internal sealed record ForwardCommand(long From, ForwardMessage Message) : Command;

/// <summary>From the peer links: the link from this peer broke.</summary>
internal sealed record PeerLostCommand(long Peer) : Command;
