// The server's port to the durable state replication needs beyond the txn log: epochs, log truncation, snapshots.
using Coordinator.StateMachine;

namespace Coordinator.Server.Replication;

/// <summary>
/// What a replicated node keeps on disk besides appending txns (<see cref="Pipeline.ITxnLog"/>). The methods that
/// change the disk run on the log-flusher thread, in order with appends, and are durable when they return.
/// </summary>
public interface IReplicaStorage
{
    /// <summary>Writes ZooKeeper's acceptedEpoch and currentEpoch files (durable before returning).</summary>
    void SaveEpochs(int acceptedEpoch, int currentEpoch);

    /// <summary>Drops every logged txn above <paramref name="zxid"/>; the next append continues after it.</summary>
    void TruncateLogAfter(long zxid);

    /// <summary>
    /// Makes <paramref name="snapshot"/> (bytes from <see cref="SerializeSnapshot"/> on the leader) this node's
    /// newest snapshot, at <paramref name="zxid"/>, and drops the whole log; returns the tree it holds.
    /// </summary>
    DataTree InstallSnapshot(long zxid, byte[] snapshot);

    /// <summary>The tree in snapshot form, to send to a learner; called on the server loop, which owns the tree.</summary>
    byte[] SerializeSnapshot(DataTree tree);
}
