// Typed transactions: multi (all-or-nothing writes and version checks) and multiRead (independent reads in one round trip).
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Client;

/// <summary>
/// Writes applied atomically by <see cref="CoordinatorClient.MultiAsync"/>: either every op succeeds or none does.
/// Builder methods return the transaction so calls chain.
/// </summary>
public sealed class Transaction
{
    private readonly List<Func<Operations.Chroot, Request>> _ops = [];
    private readonly List<string> _paths = [];

    public int Count => _ops.Count;

    internal IReadOnlyList<string> Paths => _paths;

    public Transaction Create(string path, byte[]? data, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null, long ttlMs = -1)
    {
        var (op, flags) = Requests.CreateOp(path, mode, ttlMs);
        var aclList = Requests.AclList(acl);
        return Add(path, c => new CreateRequest(op, c.ToServer(path), data ?? [], aclList, flags, ttlMs));
    }

    public Transaction Delete(string path, int version = -1)
    {
        Requests.Validate(path);
        return Add(path, c => new DeleteRequest(OpCode.Delete, c.ToServer(path), version));
    }

    public Transaction SetData(string path, byte[]? data, int version = -1)
    {
        Requests.Validate(path);
        return Add(path, c => new SetDataRequest(c.ToServer(path), data ?? [], version));
    }

    /// <summary>Fails the whole transaction with BadVersion unless the node is at <paramref name="version"/>.</summary>
    public Transaction Check(string path, int version)
    {
        Requests.Validate(path);
        return Add(path, c => new CheckVersionRequest(c.ToServer(path), version));
    }

    private Transaction Add(string path, Func<Operations.Chroot, Request> build)
    {
        _ops.Add(build);
        _paths.Add(path);
        return this;
    }

    internal MultiRequest ToRequest(Operations.Chroot chroot) => new(OpCode.Multi, _ops.Select(b => b(chroot)).ToList());
}

/// <summary>Reads sent together by <see cref="CoordinatorClient.MultiReadAsync"/>; each answers on its own (a missing node fails only its op).</summary>
public sealed class ReadTransaction
{
    private readonly List<Func<Operations.Chroot, Request>> _ops = [];
    private readonly List<string> _paths = [];

    public int Count => _ops.Count;

    internal IReadOnlyList<string> Paths => _paths;

    /// <summary>Answers with a <see cref="NodeData"/>.</summary>
    public ReadTransaction GetData(string path)
    {
        Requests.Validate(path);
        _ops.Add(c => new PathWatchRequest(OpCode.GetData, c.ToServer(path), false));
        _paths.Add(path);
        return this;
    }

    /// <summary>Answers with a <see cref="ChildrenResult"/>.</summary>
    public ReadTransaction GetChildren(string path)
    {
        Requests.Validate(path);
        _ops.Add(c => new PathWatchRequest(OpCode.GetChildren, c.ToServer(path), false));
        _paths.Add(path);
        return this;
    }

    internal MultiRequest ToRequest(Operations.Chroot chroot) => new(OpCode.MultiRead, _ops.Select(b => b(chroot)).ToList());
}

/// <summary>Argument checks shared by single ops and transactions: they fail before anything is sent, as ZooKeeper's client does.</summary>
internal static class Requests
{
    public static void Validate(string path, bool sequential = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (PathValidation.Validate(path, sequential) is { } why)
            throw new ArgumentException($"Invalid path string \"{path}\" caused by {why}", nameof(path));
    }

    /// <summary>The opcode and flags for a create: create2 (always answering a Stat), createContainer or createTTL.</summary>
    public static (OpCode Op, int Flags) CreateOp(string path, CreateMode mode, long ttlMs)
    {
        Validate(path, mode.IsSequential());
        if (mode.IsTtl())
        {
            if (ttlMs <= 0 || ttlMs > Limits.TtlMsMax)
                throw new ArgumentOutOfRangeException(nameof(ttlMs), ttlMs, $"a TTL node needs a TTL from 1 to {Limits.TtlMsMax} ms");
            return (OpCode.CreateTtl, (int)mode);
        }
        if (ttlMs != -1) throw new ArgumentException($"a TTL is only allowed with {CreateMode.PersistentWithTtl} or {CreateMode.PersistentSequentialWithTtl}", nameof(ttlMs));
        return (mode == CreateMode.Container ? OpCode.CreateContainer : OpCode.Create2, (int)mode);
    }

    // Shared by every create that names no ACL; request records only read it.
    private static readonly List<Acl> OpenUnsafeList = [.. Acls.OpenUnsafe];

    public static List<Acl> AclList(IReadOnlyList<Acl>? acl)
    {
        if (acl is null || ReferenceEquals(acl, Acls.OpenUnsafe)) return OpenUnsafeList;
        var list = acl.ToList();
        if (list.Count == 0) throw new ArgumentException("an ACL list must not be empty", nameof(acl));
        return list;
    }
}
