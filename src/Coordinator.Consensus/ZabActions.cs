// The work the ZAB core hands to its host, to be carried out in the order given.
using Coordinator.Core;

namespace Coordinator.Consensus;

public abstract record ZabAction;

/// <summary>Send a message to a peer. Messages to one peer must leave in the order given (a FIFO channel).</summary>
public sealed record Send(long To, PeerMessage Message) : ZabAction;

/// <summary>
/// Send a SNAP: the host serializes its state machine into <see cref="NewLeader.Snapshot"/> (it is at exactly
/// <see cref="NewLeader.From"/>, because every Apply before this action has been carried out) and sends it.
/// </summary>
public sealed record SendWithSnapshot(long To, NewLeader Message) : ZabAction;

/// <summary>Append txns to the log. They are durable only when the host reports <see cref="ZabPeer.Persisted"/>.</summary>
public sealed record Persist(IReadOnlyList<LoggedTxn> Txns) : ZabAction;

/// <summary>Drop every logged txn above <see cref="After"/>; ordered with Persist (a later Persisted covers it).</summary>
public sealed record Truncate(Zxid After) : ZabAction;

/// <summary>Replace the state machine with this snapshot and drop the whole log; durable before the next action.</summary>
public sealed record InstallSnapshot(Zxid Zxid, byte[] Snapshot) : ZabAction;

/// <summary>Write the acceptedEpoch and currentEpoch files; durable before the next action (a small fsync).</summary>
public sealed record SaveEpochs(int AcceptedEpoch, int CurrentEpoch) : ZabAction;

/// <summary>Apply a committed, durable txn to the state machine. Txns arrive in zxid order, each once.</summary>
public sealed record Apply(LoggedTxn Txn) : ZabAction;

/// <summary>
/// The node's role changed. Looking: not serving (fail requests waiting for a commit). Leading, Following,
/// Observing: synced with a quorum in <see cref="Epoch"/> and serving.
/// </summary>
public sealed record RoleChanged(PeerState Role, int Epoch, long Leader) : ZabAction;
