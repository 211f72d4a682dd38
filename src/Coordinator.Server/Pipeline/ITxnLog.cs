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
/// Snapshots the tree as of its last applied zxid, a share at a time. Called on the server loop, which owns the
/// tree and keeps applying txns in between (the tree's <see cref="Coordinator.StateMachine.TreeCapture"/> keeps
/// the snapshot exact); the file is written on another thread.
/// </summary>
public interface ISnapshotter
{
    /// <summary>
    /// Starts a snapshot; false when it cannot now (the previous one is still being taken or written): ask again
    /// later. <paramref name="wake"/>, callable from any thread, asks the loop to call <see cref="ContinueSnapshot"/>.
    /// </summary>
    bool TryStartSnapshot(Coordinator.StateMachine.DataTree tree, Action wake);

    /// <summary>Takes the next share of the snapshot in progress, if there is one and its writer has room.</summary>
    void ContinueSnapshot();
}

/// <summary>Keeps nothing: the standalone server until the transaction log is wired in, and tests.</summary>
public sealed class NullTxnLog : ITxnLog
{
    public static readonly NullTxnLog Instance = new();

    public void Append(in TxnHeader header, Txn txn) { }

    public void Sync() { }

    public void Roll() { }
}
