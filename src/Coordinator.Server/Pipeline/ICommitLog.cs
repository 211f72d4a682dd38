// How the server loop turns a prepared txn into an applied one: alone, or through the ensemble's leader.
using Coordinator.StateMachine;

namespace Coordinator.Server.Pipeline;

/// <summary>
/// The loop prepares a write against <see cref="NextZxid"/> and proposes it; the completion runs on the loop once
/// the txn is applied. Standalone: <see cref="CommitPipeline"/> (applied once durable here). In an ensemble:
/// <see cref="Replication.Replica"/> (proposed through ZAB, applied once a quorum has it durable).
/// </summary>
internal interface ICommitLog
{
    /// <summary>The zxid the next proposal will get; prepare a request with it before proposing.</summary>
    long NextZxid { get; }

    /// <summary>True while no proposal can be taken (log queue full, or not a serving leader): answer with an error.</summary>
    bool IsFull { get; }

    /// <summary>Txns proposed here and not applied yet.</summary>
    int Uncommitted { get; }

    /// <summary>False when the log has stopped; the caller treats the node as failed.</summary>
    bool Propose(long sessionId, int cxid, int type, long timeMs, Txn txn, Action<ProcessTxnResult>? onApplied);

    /// <summary>The log flusher made every txn up to <paramref name="zxid"/> durable.</summary>
    void OnDurable(long zxid);
}
