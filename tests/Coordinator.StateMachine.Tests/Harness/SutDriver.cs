// Drives the real state machine the way the server does: Preprocessor.Prep, then DataTree.Apply, or ReadProcessor for reads.
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.StateMachine.Tests.Model;

namespace Coordinator.StateMachine.Tests.Harness;

public sealed class SutDriver
{
    public DataTree Tree { get; } = new();

    private readonly Preprocessor _prep;
    private readonly ReadProcessor _reads;
    private int _cxid;

    public SutDriver()
    {
        _prep = new Preprocessor(Tree, new PrepSettings(ExtendedTypesEnabled: true));
        _reads = new ReadProcessor(Tree);
    }

    private static RequestSession Session(long id, int slot) => new(id, Identities.AuthOf(slot));

    private ProcessTxnResult Commit(long session, int type, Txn txn, long time) =>
        Tree.Apply(new TxnHeader(session, ++_cxid, Tree.LastProcessedZxid + 1, time, type), txn);

    public void CreateSession(long session, long time) => Commit(session, (int)OpCode.CreateSession, new CreateSessionTxn(30_000), time);

    /// <summary>closeSession as the server builds it: the session's ephemerals listed in the txn, then its watches dropped.</summary>
    public Outcome CloseSession(long session, long time)
    {
        var paths = Tree.EphemeralsOf(session).Order(StringComparer.Ordinal).ToList();
        var rc = Commit(session, (int)OpCode.CloseSession, new CloseSessionTxn(paths), time);
        Tree.Watches.RemoveWatcher(session);
        return new Outcome(rc.Err);
    }

    public Outcome Write(long session, int slot, Op op, long time)
    {
        var prep = _prep.Prep(Session(session, slot), ToRequest(op));
        if (prep.Txn is null)
        {
            if (prep.Err == ErrorCode.Ok) throw new InvalidOperationException($"Prep returned neither a txn nor an error for {op}");
            return new Outcome(prep.Err);
        }
        var rc = Commit(session, prep.Type, prep.Txn, time);
        return ToOutcome(op, rc);
    }

    public Outcome Read(long session, int slot, ReadOp r)
    {
        var op = r.Kind switch
        {
            ReadKind.Exists => OpCode.Exists,
            ReadKind.GetData => OpCode.GetData,
            _ => OpCode.GetChildren2,
        };
        var result = _reads.Execute(Session(session, slot), new PathWatchRequest(op, r.Path, r.Watch));
        return result.Body switch
        {
            _ when result.Err != ErrorCode.Ok => new Outcome(result.Err),
            StatResponse s => new Outcome(ErrorCode.Ok, Stat: s.Stat),
            GetDataResponse d => new Outcome(ErrorCode.Ok, Stat: d.Stat, Data: OpData.Show(d.Data)),
            GetChildren2Response c => new Outcome(ErrorCode.Ok, Stat: c.Stat, Children: c.Children),
            var other => throw new InvalidOperationException($"unexpected read response {other}"),
        };
    }

    public Outcome AddWatch(long session, int slot, AddWatchOp w)
    {
        var result = _reads.Execute(Session(session, slot), new AddWatchRequest(w.Path, w.Recursive ? 1 : 0));
        return new Outcome(result.Err);
    }

    public static Request ToRequest(Op op) => op switch
    {
        CreateOp c => new CreateRequest(c.Code, c.Path, OpData.Bytes(c.Data), Identities.AclList(c.Acl), c.Flags, c.EffectiveTtl),
        DeleteOp d => new DeleteRequest(OpCode.Delete, d.Path, d.Version),
        SetDataOp s => new SetDataRequest(s.Path, OpData.Bytes(s.Data), s.Version),
        SetAclOp s => new SetAclRequest(s.Path, Identities.AclList(s.Acl), s.Version),
        CheckOp c => new CheckVersionRequest(c.Path, c.Version),
        MultiOp m => new MultiRequest(OpCode.Multi, m.Ops.Select(ToRequest).ToList()),
        _ => throw new InvalidOperationException($"not a write: {op}"),
    };

    /// <summary>Keeps what the client sees: a created path, a Stat for create/setData/setACL, per-op results of a multi.</summary>
    private static Outcome ToOutcome(Op op, ProcessTxnResult rc)
    {
        if (op is MultiOp m)
        {
            var results = rc.MultiResults ?? throw new InvalidOperationException("multi without per-op results");
            if (results.Count != m.Ops.Count) throw new InvalidOperationException($"multi of {m.Ops.Count} ops gave {results.Count} results");
            return new Outcome(rc.Err, Multi: m.Ops.Zip(results, ToOutcome).ToList());
        }
        if (rc.Type == (int)OpCode.Error || rc.Err != ErrorCode.Ok) return new Outcome(rc.Err);
        return op switch
        {
            CreateOp => new Outcome(rc.Err, Path: rc.Path, Stat: rc.Stat),
            SetDataOp or SetAclOp => new Outcome(rc.Err, Stat: rc.Stat),
            _ => new Outcome(rc.Err),
        };
    }
}
