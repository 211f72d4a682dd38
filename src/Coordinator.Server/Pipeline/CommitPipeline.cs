// Orders writes: each gets the next zxid, goes to the log, and is applied (then answered) only once durable — persist before ack.
using Coordinator.StateMachine;

namespace Coordinator.Server.Pipeline;

/// <summary>
/// Lives on the server loop. <see cref="Propose"/> numbers a txn and hands it to the <see cref="LogFlusher"/>;
/// when the flusher reports a zxid durable, <see cref="OnDurable"/> applies every txn up to it in zxid order and
/// runs each one's completion (which sends the response). Nothing is applied, so nothing is served, before it is
/// on disk.
/// </summary>
internal sealed class CommitPipeline : ICommitLog
{
    private sealed record Proposal(TxnHeader Header, Txn Txn, Action<ProcessTxnResult>? OnApplied);

    private readonly Queue<Proposal> _uncommitted = new();
    private readonly DataTree _tree;
    private readonly Preprocessor _prep;
    private readonly LogFlusher _flusher;
    private readonly Action _afterApply;

    /// <param name="afterApply">Runs after each apply, before its completion: delivers the watch events it fired.</param>
    public CommitPipeline(DataTree tree, Preprocessor prep, LogFlusher flusher, Action afterApply)
    {
        _tree = tree;
        _prep = prep;
        _flusher = flusher;
        _afterApply = afterApply;
        LastProposedZxid = tree.LastProcessedZxid;
    }

    public long LastProposedZxid { get; private set; }

    /// <summary>The zxid the next proposal will get; prepare a request with it before proposing.</summary>
    public long NextZxid => LastProposedZxid + 1;

    public int Uncommitted => _uncommitted.Count;

    public bool IsFull => _uncommitted.Count >= LogFlusher.QueueTxnsMax;

    /// <summary>Queues a txn for the log with zxid <see cref="NextZxid"/>; false when the log queue is full or failed.</summary>
    public bool Propose(long sessionId, int cxid, int type, long timeMs, Txn txn, Action<ProcessTxnResult>? onApplied)
    {
        var header = new TxnHeader(sessionId, cxid, NextZxid, timeMs, type);
        if (!_flusher.TryEnqueue(header, txn)) return false;
        LastProposedZxid = header.Zxid;
        _uncommitted.Enqueue(new Proposal(header, txn, onApplied));
        return true;
    }

    /// <summary>Applies, in order, every proposal whose zxid the log has made durable.</summary>
    public void OnDurable(long zxid)
    {
        while (_uncommitted.TryPeek(out var p) && p.Header.Zxid <= zxid)
        {
            _uncommitted.Dequeue();
            var result = _tree.Apply(p.Header, p.Txn);
            _prep.Applied(p.Header.Zxid);
            _afterApply();
            p.OnApplied?.Invoke(result);
        }
    }
}
