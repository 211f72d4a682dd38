// The server's port to durable storage: append txns, then make everything appended durable with one sync.
using Coordinator.StateMachine;

namespace Coordinator.Server.Pipeline;

public interface ITxnLog
{
    /// <summary>Buffers one txn; it is durable only after the next <see cref="Sync"/>.</summary>
    void Append(in TxnHeader header, Txn txn);

    /// <summary>Makes every appended txn durable (fsync with forceSync on). Throws when the disk fails.</summary>
    void Sync();

    /// <summary>Closes the current log file; the next append starts a new one (done at each snapshot).</summary>
    void Roll();
}

/// <summary>
/// Snapshots the tree as of its last applied zxid. Called on the server loop, which owns the tree: an
/// implementation copies what it needs before returning and may write the file later, on another thread.
/// </summary>
public interface ISnapshotter
{
    /// <summary>False when it cannot take one now (the previous one is still being written): ask again later.</summary>
    bool TryTakeSnapshot(Coordinator.StateMachine.DataTree tree);
}

/// <summary>Keeps nothing: the standalone server until the transaction log is wired in, and tests.</summary>
public sealed class NullTxnLog : ITxnLog
{
    public static readonly NullTxnLog Instance = new();

    public void Append(in TxnHeader header, Txn txn) { }

    public void Sync() { }

    public void Roll() { }
}
