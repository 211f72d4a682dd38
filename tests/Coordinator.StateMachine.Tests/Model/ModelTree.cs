// The dumb reference model of ZooKeeper 3.8's znode tree: a dictionary of nodes, each request's checks in ZooKeeper's order.
using System.Globalization;
using Coordinator.Core;
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine.Tests.Model;

public sealed class ModelNode
{
    public byte[]? Data;
    public List<Acl> Acl = [];
    public long Czxid, Mzxid, Pzxid, Ctime, Mtime, Owner;
    public int Version, Aversion;

    /// <summary>
    /// How many children were ever created here: ZooKeeper's persisted cversion, which names sequential children.
    /// A delete does not move it; the Stat a client sees reports 2 * this - numChildren instead (creates plus deletes).
    /// </summary>
    public int ChildCreates;

    public SortedSet<string> Children = new(StringComparer.Ordinal);

    public ModelNode Clone() => new()
    {
        Data = Data, Acl = Acl, Czxid = Czxid, Mzxid = Mzxid, Pzxid = Pzxid, Ctime = Ctime, Mtime = Mtime, Owner = Owner,
        Version = Version, Aversion = Aversion, ChildCreates = ChildCreates, Children = new(Children, StringComparer.Ordinal),
    };

    /// <summary>The Stat as a client reads it: cversion derived from creates and live children, owner 0 unless a session owns it.</summary>
    public Stat Stat => new(Czxid, Mzxid, Ctime, Mtime, Version, 2 * ChildCreates - Children.Count, Aversion,
        ModelRules.KindOf(Owner) == OwnerKind.Session ? Owner : 0, Data?.Length ?? 0, Children.Count, Pzxid);
}

public sealed class ModelTree
{
    private Dictionary<string, ModelNode> _nodes = new(StringComparer.Ordinal);

    public ModelTree()
    {
        // A fresh ZooKeeper 3.8 server: /zookeeper, its quota and config nodes, all with zero stats, except that
        // /zookeeper/config is read-only and its ACL was set with aversion -1.
        _nodes["/"] = new ModelNode { Data = [], Acl = Open(), Children = { "zookeeper" } };
        _nodes["/zookeeper"] = new ModelNode { Data = [], Acl = Open(), Children = { "quota", "config" } };
        _nodes["/zookeeper/quota"] = new ModelNode { Data = [], Acl = Open() };
        _nodes["/zookeeper/config"] = new ModelNode { Data = [], Acl = [new Acl(1, Id.AnyoneIdUnsafe)], Aversion = -1 };
    }

    private static List<Acl> Open() => [new Acl(31, Id.AnyoneIdUnsafe)];

    /// <summary>The zxid of the last txn applied; a request that fails before becoming a txn does not consume one.</summary>
    public long LastZxid { get; private set; }

    public IReadOnlyDictionary<string, ModelNode> Nodes => _nodes;

    public IEnumerable<string>? ChildrenOf(string path) => _nodes.TryGetValue(path, out var n) ? n.Children : null;

    public SortedSet<string> EphemeralsOf(long session) =>
        new(_nodes.Where(kv => kv.Value.Owner == session && ModelRules.KindOf(session) == OwnerKind.Session).Select(kv => kv.Key),
            StringComparer.Ordinal);

    private sealed class Failed(ErrorCode code) : Exception(code.ToString())
    {
        public ErrorCode Code { get; } = code;
    }

    private static void Fail(ErrorCode code) => throw new Failed(code);

    /// <summary>A write request: create, delete, setData, setACL, check or multi. Appends the changes it made.</summary>
    public Outcome Write(long session, IReadOnlyList<Id> auth, Op op, long time, List<Change> changes)
    {
        long zxid = LastZxid + 1;
        if (op is MultiOp multi)
        {
            LastZxid = zxid;
            return Multi(session, auth, multi, zxid, time, changes);
        }
        try
        {
            var outcome = One(session, auth, op, zxid, time, changes);
            LastZxid = zxid;
            return outcome;
        }
        catch (Failed f)
        {
            return new Outcome(f.Code);
        }
    }

    /// <summary>
    /// All or nothing on a copy of the tree. When an op fails, the ops before it report Ok, it reports its error, the
    /// rest RuntimeInconsistency, and nothing changes; the multi itself still consumed a zxid.
    /// </summary>
    private Outcome Multi(long session, IReadOnlyList<Id> auth, MultiOp multi, long zxid, long time, List<Change> changes)
    {
        var saved = _nodes;
        _nodes = saved.ToDictionary(kv => kv.Key, kv => kv.Value.Clone(), StringComparer.Ordinal);
        var results = new List<Outcome>();
        var made = new List<Change>();
        for (int i = 0; i < multi.Ops.Count; i++)
        {
            try
            {
                results.Add(One(session, auth, multi.Ops[i], zxid, time, made));
            }
            catch (Failed f)
            {
                _nodes = saved;
                var failed = Enumerable.Range(0, multi.Ops.Count).Select(j =>
                    new Outcome(j < i ? ErrorCode.Ok : j == i ? f.Code : ErrorCode.RuntimeInconsistency)).ToList();
                return new Outcome(ErrorCode.Ok, Multi: failed);
            }
        }
        changes.AddRange(made);
        return new Outcome(ErrorCode.Ok, Multi: results);
    }

    private Outcome One(long session, IReadOnlyList<Id> auth, Op op, long zxid, long time, List<Change> changes) => op switch
    {
        CreateOp c => Create(session, auth, c, zxid, time, changes),
        DeleteOp d => Delete(auth, d, zxid, changes),
        SetDataOp s => SetData(auth, s, zxid, time, changes),
        SetAclOp s => SetAcl(auth, s),
        CheckOp c => Check(auth, c),
        _ => throw new InvalidOperationException($"not a write: {op}"),
    };

    private ModelNode NodeOrFail(string path)
    {
        if (!_nodes.TryGetValue(path, out var node)) Fail(ErrorCode.NoNode);
        return node!;
    }

    private static void Require(IReadOnlyList<Acl> acl, Perms perm, IReadOnlyList<Id> auth)
    {
        if (!ModelRules.Allows(acl, perm, auth)) Fail(ErrorCode.NoAuth);
    }

    private static void RequireVersion(int current, int expected)
    {
        if (expected != -1 && expected != current) Fail(ErrorCode.BadVersion);
    }

    private static void RequireValid(string path)
    {
        if (!ModelRules.IsValidPath(path)) Fail(ErrorCode.BadArguments);
    }

    private Outcome Create(long session, IReadOnlyList<Id> auth, CreateOp c, long zxid, long time, List<Change> changes)
    {
        if (c.Flags is < 0 or > 6) Fail(ErrorCode.BadArguments);
        var mode = (CreateMode)c.Flags;
        bool ttlMode = mode is CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl;
        long ttl = c.EffectiveTtl;
        if (ttlMode ? ttl <= 0 || ttl > ModelRules.TtlMax : ttl >= 0) Fail(ErrorCode.BadArguments);
        string path = c.Path;
        if (!path.Contains('/') || path.Contains('\0')) Fail(ErrorCode.BadArguments);
        var acl = ModelRules.FixAcl(Identities.AclList(c.Acl), auth);
        if (acl is null) Fail(ErrorCode.InvalidAcl);
        string parentPath = ModelRules.ParentOf(path);
        var parent = NodeOrFail(parentPath);
        Require(parent.Acl, Perms.Create, auth);
        if (mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential or CreateMode.PersistentSequentialWithTtl)
            path += parent.ChildCreates.ToString("D10", CultureInfo.InvariantCulture);
        RequireValid(path);
        if (_nodes.ContainsKey(path)) Fail(ErrorCode.NodeExists);
        if (ModelRules.KindOf(parent.Owner) == OwnerKind.Session) Fail(ErrorCode.NoChildrenForEphemerals);

        long owner = mode switch
        {
            CreateMode.Ephemeral or CreateMode.EphemeralSequential => session,
            CreateMode.Container => ModelRules.ContainerOwner,
            CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl => ModelRules.TtlOwner(ttl),
            _ => 0,
        };
        var node = new ModelNode
        {
            Data = OpData.Bytes(c.Data), Acl = acl!, Czxid = zxid, Mzxid = zxid, Pzxid = zxid,
            Ctime = time, Mtime = time, Owner = owner,
        };
        _nodes[path] = node;
        parent.Children.Add(ModelRules.NameOf(path));
        parent.ChildCreates++;
        parent.Pzxid = zxid;
        changes.Add(new Change(ChangeKind.Created, path, node.Acl, parent.Acl));
        return new Outcome(ErrorCode.Ok, Path: path, Stat: node.Stat);
    }

    private Outcome Delete(IReadOnlyList<Id> auth, DeleteOp d, long zxid, List<Change> changes)
    {
        string path = d.Path;
        if (!path.Contains('/') || path.Contains('\0') || ModelRules.IsSystemPath(path)) Fail(ErrorCode.BadArguments);
        var parent = NodeOrFail(ModelRules.ParentOf(path));
        Require(parent.Acl, Perms.Delete, auth);
        var node = NodeOrFail(path);
        RequireVersion(node.Version, d.Version);
        if (node.Children.Count > 0) Fail(ErrorCode.NotEmpty);
        Remove(path, zxid, changes);
        return new Outcome(ErrorCode.Ok);
    }

    /// <summary>Removes a childless node. The parent's pzxid moves; its persisted cversion does not.</summary>
    private void Remove(string path, long zxid, List<Change> changes)
    {
        var node = _nodes[path];
        _nodes.Remove(path);
        var parent = _nodes[ModelRules.ParentOf(path)];
        parent.Children.Remove(ModelRules.NameOf(path));
        parent.Pzxid = zxid;
        changes.Add(new Change(ChangeKind.Deleted, path, node.Acl, parent.Acl));
    }

    private Outcome SetData(IReadOnlyList<Id> auth, SetDataOp s, long zxid, long time, List<Change> changes)
    {
        RequireValid(s.Path);
        var node = NodeOrFail(s.Path);
        Require(node.Acl, Perms.Write, auth);
        RequireVersion(node.Version, s.Version);
        node.Data = OpData.Bytes(s.Data);
        node.Version++;
        node.Mzxid = zxid;
        node.Mtime = time;
        changes.Add(new Change(ChangeKind.DataChanged, s.Path, node.Acl, _nodes[ModelRules.ParentOf(s.Path)].Acl));
        return new Outcome(ErrorCode.Ok, Stat: node.Stat);
    }

    private Outcome SetAcl(IReadOnlyList<Id> auth, SetAclOp s)
    {
        RequireValid(s.Path);
        var acl = ModelRules.FixAcl(Identities.AclList(s.Acl), auth);
        if (acl is null) Fail(ErrorCode.InvalidAcl);
        var node = NodeOrFail(s.Path);
        Require(node.Acl, Perms.Admin, auth);
        RequireVersion(node.Aversion, s.Version);
        node.Acl = acl!;
        node.Aversion++;
        return new Outcome(ErrorCode.Ok, Stat: node.Stat);
    }

    private Outcome Check(IReadOnlyList<Id> auth, CheckOp c)
    {
        RequireValid(c.Path);
        var node = NodeOrFail(c.Path);
        Require(node.Acl, Perms.Read, auth);
        RequireVersion(node.Version, c.Version);
        return new Outcome(ErrorCode.Ok);
    }

    /// <summary>createSession: changes no znode but is a txn, so it takes a zxid.</summary>
    public void CreateSession() => LastZxid++;

    /// <summary>closeSession: every ephemeral of the session goes, in one txn.</summary>
    public Outcome CloseSession(long session, List<Change> changes)
    {
        long zxid = ++LastZxid;
        foreach (string path in EphemeralsOf(session)) Remove(path, zxid, changes);
        return new Outcome(ErrorCode.Ok);
    }

    /// <summary>exists, getData, getChildren2 as ZooKeeper's FinalRequestProcessor answers them (exists checks no ACL).</summary>
    public Outcome Read(IReadOnlyList<Id> auth, ReadOp r)
    {
        if (r.Kind == ReadKind.Exists && r.Path.Contains('\0')) return new Outcome(ErrorCode.BadArguments);
        if (!_nodes.TryGetValue(r.Path, out var node)) return new Outcome(ErrorCode.NoNode);
        if (r.Kind != ReadKind.Exists && !ModelRules.Allows(node.Acl, Perms.Read, auth)) return new Outcome(ErrorCode.NoAuth);
        return r.Kind switch
        {
            ReadKind.Exists => new Outcome(ErrorCode.Ok, Stat: node.Stat),
            ReadKind.GetData => new Outcome(ErrorCode.Ok, Stat: node.Stat, Data: OpData.Show(node.Data)),
            _ => new Outcome(ErrorCode.Ok, Stat: node.Stat, Children: node.Children.ToList()),
        };
    }
}
