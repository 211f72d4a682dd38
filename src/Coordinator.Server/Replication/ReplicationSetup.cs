// What a replicated node brings to its server loop: the links to its peers and the durable state found on disk.
using Coordinator.StateMachine;

namespace Coordinator.Server.Replication;

/// <param name="Network">The links to the other members (server.N lines).</param>
/// <param name="Storage">Epoch files, log truncation and snapshot transfer.</param>
/// <param name="AcceptedEpoch">ZooKeeper's acceptedEpoch file as found at start.</param>
/// <param name="CurrentEpoch">ZooKeeper's currentEpoch file as found at start.</param>
/// <param name="SnapshotZxid">The zxid of the snapshot the tree was loaded from (the log was not replayed on it).</param>
/// <param name="LogAfterSnapshot">The txns logged after that snapshot, in zxid order: applied once a leader shows they committed.</param>
public sealed record ReplicationSetup(
    IPeerNetwork Network,
    IReplicaStorage Storage,
    int AcceptedEpoch,
    int CurrentEpoch,
    long SnapshotZxid,
    IReadOnlyList<TxnEntry> LogAfterSnapshot);
