// The znode tree: applies committed txns deterministically, tracks ephemerals, containers and TTL nodes, fires watches.
using System.Text;
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

    // Nodes hang off the root by name (DataNode.Children); a path is found by walking it. No path is stored.
    private DataNode _root;
    private int _nodeCount;
    private TreeCapture? _capture;
    private int _captureGeneration;
    private readonly Dictionary<long, HashSet<string>> _ephemerals = new();
    private readonly HashSet<string> _containers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ttls = new(StringComparer.Ordinal);
    private readonly Dictionary<long, int> _sessions = new();
    private readonly AclInterner _acls = new();

    public DataTree()
    {
        _root = new DataNode([], Acl.OpenAclUnsafe, 0, 0, 0);
        _nodeCount = 1;
        // ZooKeeper's approximate_data_size counts the built-in nodes' path lengths ("/" included).
        ApproximateDataSize = 1;
        AddSystemNode(ZookeeperPath, Acl.OpenAclUnsafe);
        // Children are listed (and written to snapshots) in the order they were added: ZooKeeper's is config, quota.
        AddSystemNode(ConfigPath, ReadAclUnsafe);
        AddSystemNode(QuotaPath, Acl.OpenAclUnsafe);
        // ZooKeeper 3.8 makes /zookeeper/config read-only with setACL(path, acl, -1), which stores that -1 as the
        // aversion: `stat /zookeeper/config` on a fresh server shows aclVersion = -1.
        GetNode(ConfigPath)!.Aversion = -1;
    }

    private void AddSystemNode(string path, IReadOnlyList<Acl> acl)
    {
        GetNode(PathValidation.Parent(path))!.AddChild(PathValidation.Name(path), new DataNode([], _acls.Intern(acl), 0, 0, 0));
        _nodeCount++;
        ApproximateDataSize += path.Length;
    }

    public WatchManager Watches { get; } = new();

    /// <summary>
    /// Told of every znode change an apply makes, in apply order, after the change (the gRPC watch window
    /// records them). Null records nothing. The ACL is the changed node's (for NodeChildrenChanged, the parent's).
    /// </summary>
    public Action<NodeChange>? Changed { get; set; }

    /// <summary>The zxid of the last txn applied.</summary>
    public long LastProcessedZxid { get; private set; }

    public int NodeCount => _nodeCount;

    /// <summary>Sum of path lengths and data lengths, ZooKeeper's approximate_data_size.</summary>
    public long ApproximateDataSize { get; private set; }

    public DataNode? GetNode(string path) => GetNode(path.AsSpan());

    /// <summary>The znode at <paramref name="path"/> ("/" is the root), or null; anything that is not a path finds nothing.</summary>
    public DataNode? GetNode(ReadOnlySpan<char> path)
    {
        if (path.Length == 0 || path[0] != '/') return null;
        var node = _root;
        int start = 1;
        if (path.Length == 1) return node;
        while (true)
        {
            var rest = path[start..];
            int slash = rest.IndexOf('/');
            node = node.Child(slash < 0 ? rest : rest[..slash]);
            if (node is null || slash < 0) return node;
            start += slash + 1;
        }
    }

    /// <summary>The node holding a path's last segment ("/a/b" gives the node "/a"), and that segment's name.</summary>
    private DataNode? Locate(string path, out ReadOnlySpan<char> name)
    {
        int cut = path.LastIndexOf('/');
        name = path.AsSpan(cut + 1);
        return cut < 0 ? null : GetNode(cut == 0 ? "/" : path.AsSpan(0, cut));
    }

    /// <summary>
    /// Starts an exact capture of the tree as of now (see <see cref="TreeCapture"/>), taken a share at a time by
    /// the thread that owns the tree. One capture at a time; disposing it ends it early.
    /// </summary>
    public TreeCapture BeginCapture()
    {
        if (_capture is not null) throw new InvalidOperationException("a capture of this tree is already in progress");
        _capture = new TreeCapture(this, ++_captureGeneration, LastProcessedZxid, [.. _sessions], [.. _acls.Lists]);
        return _capture;
    }

    internal void EndCapture(TreeCapture capture)
    {
        if (_capture == capture) _capture = null;
    }

    /// <summary>Called before any change to a node's fields or children, so a capture in progress keeps what it had.</summary>
    private void BeforeChange(DataNode node)
    {
        if (_capture is { } capture && node.CaptureMark != capture.Generation) capture.Preserve(node);
    }

    public IReadOnlyDictionary<long, int> Sessions => _sessions;

    public IReadOnlyCollection<string> EphemeralsOf(long sessionId) =>
        _ephemerals.TryGetValue(sessionId, out var set) ? set : [];

    public IReadOnlyDictionary<long, HashSet<string>> Ephemerals => _ephemerals;

    public int EphemeralCount => _ephemerals.Values.Sum(s => s.Count);

    public IReadOnlyCollection<string> Containers => _containers;

    public IReadOnlyCollection<string> Ttls => _ttls;

    /// <summary>Number of descendants of a node (not counting the node itself).</summary>
    public int CountDescendants(string path) => GetNode(path) is { } node ? CountDescendants(node) : 0;

    private static int CountDescendants(DataNode node)
    {
        int total = 0;
        if (node.ChildMap is { } children)
            foreach (var child in children.Values) total += 1 + CountDescendants(child);
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
        var parent = Locate(path, out var name);
        if (parent is null) { rc.Err = ErrorCode.NoNode; return; }
        if (parent.Child(name) is not null) { rc.Err = ErrorCode.NodeExists; return; }
        string parentPath = PathValidation.Parent(path);

        BeforeChange(parent);
        if (parentCVersion == -1) parentCVersion = parent.Cversion + 1;
        // A replayed create may be older than the parent state in a fuzzy snapshot; never move cversion back.
        if (parentCVersion > parent.Cversion)
        {
            parent.Cversion = parentCVersion;
            parent.Pzxid = header.Zxid;
        }
        // Created after a capture began: not part of it, and nothing to preserve when it changes.
        var node = new DataNode(data, _acls.Intern(acl), header.Zxid, header.Time, owner) { CaptureMark = _capture?.Generation ?? 0 };
        parent.AddChild(name.ToString(), node);
        _nodeCount++;
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
        if (path == "/") return ErrorCode.NoNode;
        var parent = Locate(path, out var name);
        if (parent?.Child(name) is not { } node) return ErrorCode.NoNode;
        AddQuotaUsage(path, -node.DataLength, -1);
        string parentPath = PathValidation.Parent(path);
        BeforeChange(parent);
        parent.RemoveChild(name);
        if (zxid > parent.Pzxid) parent.Pzxid = zxid;
        // Only replay onto a fuzzy snapshot (ZooKeeper's) can delete a node that still has children; they go with it.
        _nodeCount -= 1 + (node.ChildCount == 0 ? 0 : CountDescendants(node));
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
        if (GetNode(path) is not { } node) return (ErrorCode.NoNode, null);
        AddQuotaUsage(path, (data?.Length ?? 0) - node.DataLength, 0);
        ApproximateDataSize += (data?.Length ?? 0) - node.DataLength;
        BeforeChange(node);
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
        if (GetNode(path) is not { } node) return (ErrorCode.NoNode, null);
        BeforeChange(node);
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
        if (Quotas.QuotaRootOf(this, path) is not { } root || GetNode(Quotas.StatsPath(root)) is not { } stats) return;
        var usage = Quotas.ParseUsage(stats.Data);
        SetStatsData(stats, new QuotaUsage(usage.Count + count, usage.Bytes + bytes));
    }

    /// <summary>A new stats node starts from the quota'd subtree's actual usage (ZooKeeper's updateQuotaForPath).</summary>
    private void RecountQuota(string target, DataNode stats)
    {
        long count = 0, bytes = 0;
        if (GetNode(target) is { } top)
        {
            var pending = new Stack<DataNode>([top]);
            while (pending.TryPop(out var node))
            {
                count++;
                bytes += node.DataLength;
                if (node.ChildMap is { } children) foreach (var child in children.Values) pending.Push(child);
            }
        }
        SetStatsData(stats, new QuotaUsage(count, bytes));
    }

    private void SetStatsData(DataNode stats, QuotaUsage usage)
    {
        byte[] data = usage.ToBytes();
        ApproximateDataSize += data.Length - stats.DataLength;
        BeforeChange(stats);
        stats.Data = data;
    }

    private void CloseSession(long sessionId, IReadOnlyList<string> paths, long zxid)
    {
        _sessions.Remove(sessionId);
        foreach (var path in paths)
        {
            if (GetNode(path) is { } node && node.EphemeralOwner == sessionId) Delete(path, zxid);
        }
        _ephemerals.Remove(sessionId);
    }

    // ---- Restoring a tree from a snapshot (Coordinator.Storage). These never fire watches and never touch
    // ---- cversion or pzxid: the snapshot already holds each node's final Stat.

    /// <summary>
    /// Puts a node read from a snapshot into the tree. Its parent must already be there (snapshots are written
    /// in pre-order). A node that exists (the root and the /zookeeper system nodes the constructor made) takes
    /// the snapshot's data, ACL and Stat but keeps the children already linked to it. A snapshot reader keeps one
    /// <see cref="TreeRestorer"/> for all its nodes, so that each needs no lookup from the root.
    /// </summary>
    public void RestoreNode(string path, DataNode node) =>
        new TreeRestorer(this).Restore(Encoding.UTF8.GetBytes(path == "/" ? "" : path), node);

    internal DataNode Root => _root;

    /// <summary>A restored node takes the place of one the constructor made; <paramref name="path"/> is its path.</summary>
    internal void RestoreOver(DataNode existing, DataNode node, string path)
    {
        if (node.ChildCount != 0) throw new ArgumentException("a restored node brings no children; they are restored one by one", nameof(node));
        BeforeChange(existing);
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
    }

    /// <summary>
    /// Links a restored node under <paramref name="parent"/>, which has no child of that name.
    /// <paramref name="path"/> is needed only for an ephemeral, container or TTL node (they are indexed by path).
    /// </summary>
    internal void RestoreUnder(DataNode parent, string name, DataNode node, int pathLength, string? path)
    {
        if (node.ChildCount != 0) throw new ArgumentException("a restored node brings no children; they are restored one by one", nameof(node));
        node.Acl = _acls.Intern(node.Acl);
        node.CaptureMark = _capture?.Generation ?? 0;
        BeforeChange(parent);
        parent.AddChild(name, node);
        _nodeCount++;
        ApproximateDataSize += pathLength + node.DataLength;
        if (path is not null) IndexOwner(path, node.EphemeralOwner, add: true);
    }

    /// <summary>
    /// Takes over everything <paramref name="source"/> holds (a learner installing its leader's snapshot): nodes,
    /// sessions, ephemerals, containers, TTL nodes, size and zxid. Watches and the <see cref="Changed"/> hook stay
    /// this tree's; nothing fires. <paramref name="source"/> must not be used afterwards (its nodes move here).
    /// </summary>
    public void ReplaceWith(DataTree source)
    {
        _capture?.Dispose();
        _acls.Clear();
        _root = source._root;
        _nodeCount = source._nodeCount;
        source.Walk((_, _, _, node) => node.Acl = _acls.Intern(node.Acl));
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
