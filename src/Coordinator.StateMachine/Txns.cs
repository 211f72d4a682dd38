// Transactions: the deterministic state changes that Preprocess produces and Apply executes, shaped like ZooKeeper's txn records.
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine;

/// <summary>Who asked (session and xid), when, at which zxid, and what kind of change (an <see cref="OpCode"/> value).</summary>
public readonly record struct TxnHeader(long ClientId, int Cxid, long Zxid, long Time, int Type);

public abstract record Txn;

/// <summary>create and create2. The parent's cversion after the create travels with the txn so replay is exact.</summary>
public sealed record CreateTxn(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, bool Ephemeral, int ParentCVersion) : Txn;

public sealed record CreateContainerTxn(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, int ParentCVersion) : Txn;

public sealed record CreateTtlTxn(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, int ParentCVersion, long Ttl) : Txn;

/// <summary>delete and deleteContainer.</summary>
public sealed record DeleteTxn(string Path) : Txn;

public sealed record SetDataTxn(string Path, byte[]? Data, int Version) : Txn;

public sealed record SetAclTxn(string Path, IReadOnlyList<Acl> Acl, int Version) : Txn;

public sealed record CheckVersionTxn(string Path, int Version) : Txn;

/// <summary>A failed request that still consumed a zxid (a failed multi sub-op, for instance).</summary>
public sealed record ErrorTxn(int Err) : Txn;

/// <summary>One sub-transaction of a multi, with its own type.</summary>
public readonly record struct SubTxn(int Type, Txn Txn);

public sealed record MultiTxn(IReadOnlyList<SubTxn> Txns) : Txn;

public sealed record CreateSessionTxn(int TimeoutMs) : Txn;

/// <summary>closeSession: the ephemerals to delete are fixed when the txn is built, so every replica deletes the same set.</summary>
public sealed record CloseSessionTxn(IReadOnlyList<string> Paths2Delete) : Txn;

/// <summary>What applying one txn produced: an error code, and for successful ops the path, Stat or per-op results.</summary>
public sealed class ProcessTxnResult
{
    public long ClientId { get; init; }
    public int Cxid { get; init; }
    public long Zxid { get; init; }
    public int Type { get; init; }
    public Coordinator.Core.ErrorCode Err { get; set; }
    public string? Path { get; set; }
    public Stat? Stat { get; set; }
    public List<ProcessTxnResult>? MultiResults { get; set; }
}

public static class TxnTypes
{
    public static bool IsCreate(int type) => (OpCode)type is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl;
}
