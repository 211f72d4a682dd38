// Typed results of operations and of each op inside multi and multiRead.
using Coordinator.Core;
using Coordinator.Jute.Records;

namespace Coordinator.Client;

/// <summary>The result of one op; multi and multiRead return one per op, in order.</summary>
public abstract record OpResult;

/// <summary>create in any mode: the actual path (with its sequence suffix, chroot removed) and the new node's Stat.</summary>
public sealed record CreateResult(string Path, Stat Stat) : OpResult;

public sealed record DeleteResult : OpResult;

public sealed record SetDataResult(Stat Stat) : OpResult;

public sealed record CheckResult : OpResult;

/// <summary>getData: the bytes (empty when the node holds none) and the Stat.</summary>
public sealed record NodeData(byte[] Data, Stat Stat) : OpResult;

/// <summary>getChildren inside multiRead (no Stat on the wire there).</summary>
public sealed record ChildrenResult(IReadOnlyList<string> Children) : OpResult;

/// <summary>An op that failed (or, in a failed multi, was rolled back: Ok before the failure, RuntimeInconsistency after).</summary>
public sealed record ErrorResult(ErrorCode Code, string? Path) : OpResult
{
    public KeeperException ToException() => KeeperException.Create(Code, Path);
}

/// <summary>getChildren with the parent's Stat (getChildren2). Children are names, not paths.</summary>
public sealed record NodeChildren(IReadOnlyList<string> Children, Stat Stat);

public sealed record NodeAcl(IReadOnlyList<Acl> Acl, Stat Stat);
