// The znode tree: applies committed txns deterministically, tracks ephemerals, containers and TTL nodes, fires watches.
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.StateMachine.Watches;

namespace Coordinator.StateMachine;

public sealed class DataTree
{
    public const string ZookeeperPath = "/zookeeper";
    public const string QuotaPath = "/zookeeper/quota";
    public const string ConfigPath = "/zookeeper/config";

    private static readonly IReadOnlyList<Acl> ReadAclUnsafe = [new(1, Id.AnyoneIdUnsafe)];

    private readonly Dictionary<string, DataNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<long, HashSet<string>> _ephemerals = new();
    private readonly HashSet<string> _containers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ttls = new(StringComparer.Ordinal);
    private readonly Dictionary<long, int> _sessions = new();
    private readonly AclInterner _acls = new();

    public DataTree()
    {
        var root = new DataNode([], Acl.OpenAclUnsafe, 0, 0, 0);
        _nodes["/"] = root;
        // ZooKeeper's approximate_data_size counts the built-in nodes' path lengths ("/" included).
        ApproximateDataSize = 1;
        AddSystemNode(ZookeeperPath, Acl.OpenAclUnsafe);
        AddSystemNode(QuotaPath, Acl.OpenAclUnsafe);
        AddSystemNode(ConfigPath, ReadAclUnsafe);
        // ZooKeeper 3.8 makes /zookeeper/config read-only with setACL(path, acl, -1), which stores that -1 as the
        // aversion: `stat /zookeeper/config` on a fresh server shows aclVersion = -1.
        _nodes[ConfigPath].Aversion = -1;
    }

    private void AddSystemNode(string path, IReadOnlyList<Acl> acl)
    {
        _nodes[path] = new DataNode([], acl, 0, 0, 0);
        ApproximateDataSize += path.Length;
        _nodes[PathValidation.Parent(path)].AddChild(PathValidation.Name(path));
    }

    public WatchManager Watches { get; } = new();

    /// <summary>
    /// Told of every znode change an apply makes, in apply order, after the change (the gRPC watch window
    /// records them). Null records nothing. The ACL is the changed node's (for NodeChildrenChanged, the parent's).
    /// </summary>
    public Action<NodeChange>? Changed { get; set; }

    /// <summary>The zxid of the last txn applied.</summary>
    public long LastProcessedZxid { get; private set; }

    public int NodeCount => _nodes.Count;

    /// <summary>Sum of path lengths and data lengths, ZooKeeper's approximate_data_size.</summary>
    public long ApproximateDataSize { get; private set; }

    public DataNode? GetNode(string path) => _nodes.GetValueOrDefault(path);

    /// <summary>Every znode by path, in no particular order (the root as "/").</summary>
    public IReadOnlyDictionary<string, DataNode> Nodes => _nodes;

    public IReadOnlyDictionary<long, int> Sessions => _sessions;

    public IReadOnlyCollection<string> EphemeralsOf(long sessionId) =>
        _ephemerals.TryGetValue(sessionId, out var set) ? set : [];

    public IReadOnlyDictionary<long, HashSet<string>> Ephemerals => _ephemerals;

    public int EphemeralCount => _ephemerals.Values.Sum(s => s.Count);

    public IReadOnlyCollection<string> Containers => _containers;

    public IReadOnlyCollection<string> Ttls => _ttls;

    /// <summary>Number of descendants of a node (not counting the node itself).</summary>
    public int CountDescendants(string path)
    {
        var node = GetNode(path);
        if (node is null) return 0;
        int total = 0;
        foreach (var child in node.Children) total += 1 + CountDescendants(PathValidation.Join(path, child));
        return total;
    }

    public ProcessTxnResult Apply(TxnHeader header, Txn txn)
    {
        var result = new ProcessTxnResult { ClientId = header.ClientId, Cxid = header.Cxid, Zxid = header.Zxid, Type = header.Type };
        ApplyOne(header, header.Type, txn, result);
        if (header.Zxid > LastProcessedZxid) LastProcessedZxid = header.Zxid;
        return result;
    }

    private void ApplyOne(TxnHeader header, int type, Txn txn, ProcessTxnResult rc)
    {
        switch (txn)
        {
            case CreateTxn c:
                Create(rc, header, c.Path, c.Data, c.Acl, c.Ephemeral ? header.ClientId : 0, c.ParentCVersion);
                break;
            case CreateContainerTxn c:
                Create(rc, header, c.Path, c.Data, c.Acl, Limits.ContainerOwner, c.ParentCVersion);
                break;
            case CreateTtlTxn c:
                Create(rc, header, c.Path, c.Data, c.Acl, EphemeralKinds.TtlOwner(c.Ttl), c.ParentCVersion);
                break;
            case DeleteTxn d:
                rc.Path = d.Path;
                rc.Err = Delete(d.Path, header.Zxid);
                break;
            case SetDataTxn s:
                rc.Path = s.Path;
                (rc.Err, rc.Stat) = SetData(s.Path, s.Data, s.Version, header.Zxid, header.Time);
                break;
            case SetAclTxn s:
                rc.Path = s.Path;
                (rc.Err, rc.Stat) = SetAcl(s.Path, s.Acl, s.Version);
                break;
            case CheckVersionTxn c:
                rc.Path = c.Path;
                break;
            case ErrorTxn e:
                rc.Err = (ErrorCode)e.Err;
                break;
            case CreateSessionTxn s:
                _sessions[header.ClientId] = s.TimeoutMs;
                break;
            case CloseSessionTxn c:
                CloseSession(header.ClientId, c.Paths2Delete, header.Zxid);
                break;
            case MultiTxn m:
                ApplyMulti(header, m, rc);
                break;
            default:
                throw new InvalidOperationException($"unknown txn {txn.GetType().Name} of type {type}");
        }
    }

    /// <summary>
    /// A multi applies all of its sub-txns or none: when any sub-txn is an error, every other result becomes
    /// Ok (before the failure) or RuntimeInconsistency (after it), as ZooKeeper reports a rolled-back multi.
    /// </summary>
    private void ApplyMulti(TxnHeader header, MultiTxn multi, ProcessTxnResult rc)
    {
        rc.MultiResults = new List<ProcessTxnResult>(multi.Txns.Count);
        bool failed = multi.Txns.Any(t => t.Txn is ErrorTxn);
        bool postFailed = false;
        foreach (var sub in multi.Txns)
        {
            var subResult = new ProcessTxnResult { ClientId = header.ClientId, Cxid = header.Cxid, Zxid = header.Zxid, Type = sub.Type };
            if (failed)
            {
                int err = sub.Txn is ErrorTxn e ? e.Err : (int)(postFailed ? ErrorCode.RuntimeInconsistency : ErrorCode.Ok);
                if (sub.Txn is ErrorTxn) postFailed = true;
                subResult = new ProcessTxnResult { ClientId = header.ClientId, Cxid = header.Cxid, Zxid = header.Zxid, Type = (int)OpCode.Error, Err = (ErrorCode)err };
            }
            else
            {
                ApplyOne(header, sub.Type, sub.Txn, subResult);
            }
            rc.MultiResults.Add(subResult);
        }
    }

    private void Create(ProcessTxnResult rc, TxnHeader header, string path, byte[]? data, IReadOnlyList<Acl> acl, long owner, int parentCVersion)
    {
        rc.Path = path;
        string parentPath = PathValidation.Parent(path);
        if (!_nodes.TryGetValue(parentPath, out var parent)) { rc.Err = ErrorCode.NoNode; return; }
        string name = PathValidation.Name(path);
        if (parent.HasChild(name)) { rc.Err = ErrorCode.NodeExists; return; }

        if (parentCVersion == -1) parentCVersion = parent.Cversion + 1;
        // A replayed create may be older than the parent state in a fuzzy snapshot; never move cversion back.
        if (parentCVersion > parent.Cversion)
        {
            parent.Cversion = parentCVersion;
            parent.Pzxid = header.Zxid;
        }
        var node = new DataNode(data, _acls.Intern(acl), header.Zxid, header.Time, owner);
        parent.AddChild(name);
        _nodes[path] = node;
        ApproximateDataSize += path.Length + (data?.Length ?? 0);
        switch (EphemeralKinds.Of(owner))
        {
            case EphemeralKind.Container: _containers.Add(path); break;
            case EphemeralKind.Ttl: _ttls.Add(path); break;
            case EphemeralKind.Normal: EphemeralSet(owner).Add(path); break;
        }
        rc.Stat = node.ToStat();
        AddQuotaUsage(path, data?.Length ?? 0, 1);
        if (Quotas.StatsTarget(path) is { } target) RecountQuota(target, node);
        Watches.TriggerData(path, EventType.NodeCreated, node.Acl);
        Watches.TriggerChild(parentPath, EventType.NodeChildrenChanged, parent.Acl);
        Changed?.Invoke(new NodeChange(header.Zxid, EventType.NodeCreated, path, node.Acl));
        Changed?.Invoke(new NodeChange(header.Zxid, EventType.NodeChildrenChanged, parentPath, parent.Acl));
    }

    private HashSet<string> EphemeralSet(long owner)
    {
        if (!_ephemerals.TryGetValue(owner, out var set)) _ephemerals[owner] = set = new HashSet<string>(StringComparer.Ordinal);
        return set;
    }

    private ErrorCode Delete(string path, long zxid)
    {
        if (path == "/" || !_nodes.TryGetValue(path, out var node)) return ErrorCode.NoNode;
        AddQuotaUsage(path, -node.DataLength, -1);
        string parentPath = PathValidation.Parent(path);
        var parent = _nodes[parentPath];
        parent.RemoveChild(PathValidation.Name(path));
        if (zxid > parent.Pzxid) parent.Pzxid = zxid;
        _nodes.Remove(path);
        ApproximateDataSize -= path.Length + node.DataLength;
        switch (EphemeralKinds.Of(node.EphemeralOwner))
        {
            case EphemeralKind.Container: _containers.Remove(path); break;
            case EphemeralKind.Ttl: _ttls.Remove(path); break;
            case EphemeralKind.Normal:
                if (_ephemerals.TryGetValue(node.EphemeralOwner, out var set))
                {
                    set.Remove(path);
                    if (set.Count == 0) _ephemerals.Remove(node.EphemeralOwner);
                }
                break;
        }
        var fired = Watches.TriggerData(path, EventType.NodeDeleted, node.Acl);
        Watches.TriggerChild(path, EventType.NodeDeleted, node.Acl, fired);
        Watches.TriggerChild(parentPath, EventType.NodeChildrenChanged, parent.Acl);
        Changed?.Invoke(new NodeChange(zxid, EventType.NodeDeleted, path, node.Acl));
        Changed?.Invoke(new NodeChange(zxid, EventType.NodeChildrenChanged, parentPath, parent.Acl));
        return ErrorCode.Ok;
    }

    private (ErrorCode, Stat?) SetData(string path, byte[]? data, int version, long zxid, long time)
    {
        if (!_nodes.TryGetValue(path, out var node)) return (ErrorCode.NoNode, null);
        AddQuotaUsage(path, (data?.Length ?? 0) - node.DataLength, 0);
        ApproximateDataSize += (data?.Length ?? 0) - node.DataLength;
        node.Data = data;
        node.Version = version;
        node.Mzxid = zxid;
        node.Mtime = time;
        Watches.TriggerData(path, EventType.NodeDataChanged, node.Acl);
        Changed?.Invoke(new NodeChange(zxid, EventType.NodeDataChanged, path, node.Acl));
        return (ErrorCode.Ok, node.ToStat());
    }

    private (ErrorCode, Stat?) SetAcl(string path, IReadOnlyList<Acl> acl, int version)
    {
        if (!_nodes.TryGetValue(path, out var node)) return (ErrorCode.NoNode, null);
        node.Acl = _acls.Intern(acl);
        node.Aversion = version;
        return (ErrorCode.Ok, node.ToStat());
    }

    /// <summary>
    /// Keeps the stats node of the quota above <paramref name="path"/> current, as ZooKeeper's DataTree does: its
    /// data is rewritten in place, without a version, zxid or watch event, so the same log gives the same tree.
    /// </summary>
    private void AddQuotaUsage(string path, long bytes, int count)
    {
        if (Quotas.QuotaRootOf(this, path) is not { } root || !_nodes.TryGetValue(Quotas.StatsPath(root), out var stats)) return;
        var usage = Quotas.ParseUsage(stats.Data);
        SetStatsData(stats, new QuotaUsage(usage.Count + count, usage.Bytes + bytes));
    }

    /// <summary>A new stats node starts from the quota'd subtree's actual usage (ZooKeeper's updateQuotaForPath).</summary>
    private void RecountQuota(string target, DataNode stats)
    {
        long count = 0, bytes = 0;
        if (_nodes.ContainsKey(target))
        {
            var pending = new Stack<string>([target]);
            while (pending.TryPop(out string? next))
            {
                var node = _nodes[next];
                count++;
                bytes += node.DataLength;
                foreach (string child in node.Children) pending.Push(PathValidation.Join(next, child));
            }
        }
        SetStatsData(stats, new QuotaUsage(count, bytes));
    }

    private void SetStatsData(DataNode stats, QuotaUsage usage)
    {
        byte[] data = usage.ToBytes();
        ApproximateDataSize += data.Length - stats.DataLength;
        stats.Data = data;
    }

    private void CloseSession(long sessionId, IReadOnlyList<string> paths, long zxid)
    {
        _sessions.Remove(sessionId);
        foreach (var path in paths)
        {
            if (_nodes.TryGetValue(path, out var node) && node.EphemeralOwner == sessionId) Delete(path, zxid);
        }
        _ephemerals.Remove(sessionId);
    }

    // ---- Restoring a tree from a snapshot (Coordinator.Storage). These never fire watches and never touch
    // ---- cversion or pzxid: the snapshot already holds each node's final Stat.

    /// <summary>
    /// Puts a node read from a snapshot into the tree. Its parent must already be there (snapshots are written
    /// in pre-order). A node that exists (the root and the /zookeeper system nodes the constructor made) takes
    /// the snapshot's data, ACL and Stat but keeps the children already linked to it.
    /// </summary>
    public void RestoreNode(string path, DataNode node)
    {
        if (node.Children.Count != 0) throw new ArgumentException("a restored node brings no children; they are restored one by one", nameof(node));
        if (_nodes.TryGetValue(path, out var existing))
        {
            IndexOwner(path, existing.EphemeralOwner, add: false);
            ApproximateDataSize += node.DataLength - existing.DataLength;
            existing.Data = node.Data;
            existing.Acl = _acls.Intern(node.Acl);
            existing.Czxid = node.Czxid;
            existing.Mzxid = node.Mzxid;
            existing.Ctime = node.Ctime;
            existing.Mtime = node.Mtime;
            existing.Version = node.Version;
            existing.Cversion = node.Cversion;
            existing.Aversion = node.Aversion;
            existing.EphemeralOwner = node.EphemeralOwner;
            existing.Pzxid = node.Pzxid;
            IndexOwner(path, existing.EphemeralOwner, add: true);
            return;
        }
        if (path == "/" || !_nodes.TryGetValue(PathValidation.Parent(path), out var parent))
            throw new ArgumentException($"cannot restore {path}: its parent is not in the tree", nameof(path));
        node.Acl = _acls.Intern(node.Acl);
        parent.AddChild(PathValidation.Name(path));
        _nodes[path] = node;
        ApproximateDataSize += path.Length + node.DataLength;
        IndexOwner(path, node.EphemeralOwner, add: true);
    }

    /// <summary>
    /// Takes over everything <paramref name="source"/> holds (a learner installing its leader's snapshot): nodes,
    /// sessions, ephemerals, containers, TTL nodes, size and zxid. Watches and the <see cref="Changed"/> hook stay
    /// this tree's; nothing fires. <paramref name="source"/> must not be used afterwards (its nodes move here).
    /// </summary>
    public void ReplaceWith(DataTree source)
    {
        _nodes.Clear();
        _acls.Clear();
        foreach (var (path, node) in source._nodes)
        {
            node.Acl = _acls.Intern(node.Acl);
            _nodes[path] = node;
        }
        _ephemerals.Clear();
        foreach (var (owner, paths) in source._ephemerals) _ephemerals[owner] = paths;
        _containers.Clear();
        _containers.UnionWith(source._containers);
        _ttls.Clear();
        _ttls.UnionWith(source._ttls);
        _sessions.Clear();
        foreach (var (id, timeout) in source._sessions) _sessions[id] = timeout;
        ApproximateDataSize = source.ApproximateDataSize;
        LastProcessedZxid = source.LastProcessedZxid;
    }

    /// <summary>Adds a session read from a snapshot to the sessions table.</summary>
    public void RestoreSession(long sessionId, int timeoutMs) => _sessions[sessionId] = timeoutMs;

    /// <summary>Sets the zxid a restored tree is at (the snapshot's zxid), before the log is replayed on top.</summary>
    public void RestoreLastProcessedZxid(long zxid) => LastProcessedZxid = zxid;

    private void IndexOwner(string path, long owner, bool add)
    {
        switch (EphemeralKinds.Of(owner))
        {
            case EphemeralKind.Container:
                if (add) _containers.Add(path); else _containers.Remove(path);
                break;
            case EphemeralKind.Ttl:
                if (add) _ttls.Add(path); else _ttls.Remove(path);
                break;
            case EphemeralKind.Normal:
                if (add) EphemeralSet(owner).Add(path);
                else if (_ephemerals.TryGetValue(owner, out var set) && set.Remove(path) && set.Count == 0) _ephemerals.Remove(owner);
                break;
        }
    }
}
