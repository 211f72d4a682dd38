// Turns a write request into a Txn or an error: validation, ACL checks and version checks, as ZooKeeper's PrepRequestProcessor.
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.StateMachine.Security;

namespace Coordinator.StateMachine;

/// <summary>Settings the preprocessor needs; a subset of the server's settings table.</summary>
/// <param name="EnforceQuota">Refuse writes past a quota's hard limits with QuotaExceeded (zookeeper.enforceQuota).</param>
/// <param name="QuotaExceeded">Told of each write past a quota limit (a soft one: the write goes ahead); the server logs it.</param>
public sealed record PrepSettings(bool ExtendedTypesEnabled = true, int MaxDataBytes = Limits.PacketBytesMaxDefault,
    bool EnforceQuota = true, Action<QuotaWarning>? QuotaExceeded = null);

/// <summary>The session a request came from: its id and the ids it has authenticated as.</summary>
public readonly record struct RequestSession(long SessionId, IReadOnlyList<Id> Auth);

/// <summary>A txn ready to be logged and applied, or the error that rejected the request before it became one.</summary>
public readonly record struct PrepResult(int Type, Txn? Txn, ErrorCode Err)
{
    public static PrepResult Fail(ErrorCode err) => new((int)OpCode.Error, null, err);
}

/// <remarks>
/// Writes are prepared ahead of being applied (they wait for the log), so a request must see the effect of
/// every earlier prepared-but-unapplied write: those live in the outstanding changes, keyed by path, until
/// <see cref="Applied"/> says the tree has caught up (ZooKeeper's outstandingChanges). Within one request,
/// changes are staged first and only kept when the whole request (a multi included) succeeds.
/// </remarks>
public sealed class Preprocessor(DataTree tree, PrepSettings settings)
{
    /// <summary>The view of a node as prepared writes will leave it.</summary>
    private sealed class NodeRecord
    {
        public int Version, Cversion, Aversion, ChildCount;
        public long EphemeralOwner;
        public IReadOnlyList<Acl> Acl = [];

        public NodeRecord Clone() => (NodeRecord)MemberwiseClone();
    }

    /// <summary>Changes of the request being prepared (null = deleted).</summary>
    private readonly Dictionary<string, NodeRecord?> _staged = new(StringComparer.Ordinal);

    /// <summary>Changes of prepared writes the tree has not applied yet, with the zxid that made each.</summary>
    private readonly Dictionary<string, (long Zxid, NodeRecord? Record)> _outstanding = new(StringComparer.Ordinal);
    private readonly Queue<(long Zxid, string Path)> _outstandingOrder = new();

    private sealed class PrepException(ErrorCode code) : Exception(code.ToString())
    {
        public ErrorCode Code { get; } = code;
    }

    public int OutstandingChangeCount => _outstanding.Count;

    /// <summary>Prepares a request against the tree alone, keeping nothing: for callers that apply at once.</summary>
    public PrepResult Prep(RequestSession session, Request request) => Prep(session, request, zxid: null);

    /// <summary>
    /// Prepares a request that will be applied later as <paramref name="zxid"/>; its changes stay visible to
    /// later requests until <see cref="Applied"/> passes that zxid.
    /// </summary>
    public PrepResult PrepOutstanding(RequestSession session, Request request, long zxid) => Prep(session, request, zxid);

    private PrepResult Prep(RequestSession session, Request request, long? zxid)
    {
        _staged.Clear();
        try
        {
            var result = request is MultiRequest multi ? PrepMulti(session, multi) : PrepOne(session, request);
            if (zxid is { } z && result.Txn is not null) KeepStaged(z);
            return result;
        }
        catch (PrepException e)
        {
            return PrepResult.Fail(e.Code);
        }
        finally
        {
            _staged.Clear();
        }
    }

    private void KeepStaged(long zxid)
    {
        foreach (var (path, record) in _staged)
        {
            _outstanding[path] = (zxid, record);
            _outstandingOrder.Enqueue((zxid, path));
        }
    }

    /// <summary>
    /// Forgets every change prepared but not applied (a leader that lost its quorum: its proposals may never be
    /// applied, and the next leader's txns are prepared elsewhere).
    /// </summary>
    public void DiscardOutstanding()
    {
        _outstanding.Clear();
        _outstandingOrder.Clear();
    }

    /// <summary>The tree has applied every txn up to <paramref name="zxid"/>: their outstanding changes are now in it.</summary>
    public void Applied(long zxid)
    {
        while (_outstandingOrder.TryPeek(out var head) && head.Zxid <= zxid)
        {
            _outstandingOrder.Dequeue();
            if (_outstanding.TryGetValue(head.Path, out var current) && current.Zxid == head.Zxid) _outstanding.Remove(head.Path);
        }
    }

    /// <summary>
    /// closeSession: the session's ephemerals as prepared writes will leave them, fixed into the txn so every
    /// replica deletes the same set; they count as deleted for later requests.
    /// </summary>
    public CloseSessionTxn PrepCloseSession(long sessionId, long zxid)
    {
        var paths = new SortedSet<string>(tree.EphemeralsOf(sessionId), StringComparer.Ordinal);
        foreach (var (path, (_, record)) in _outstanding)
        {
            if (record is null) paths.Remove(path);
            else if (record.EphemeralOwner == sessionId) paths.Add(path);
        }
        _staged.Clear();
        foreach (var path in paths)
        {
            string parentPath = PathValidation.Parent(path);
            if (Record(parentPath) is { } parent)
            {
                parent.ChildCount--;
                _staged[parentPath] = parent;
            }
            _staged[path] = null;
        }
        KeepStaged(zxid);
        _staged.Clear();
        return new CloseSessionTxn(paths.ToList());
    }

    private PrepResult PrepMulti(RequestSession session, MultiRequest multi)
    {
        var subs = new List<SubTxn>(multi.Ops.Count);
        bool failed = false;
        foreach (var op in multi.Ops)
        {
            if (failed)
            {
                subs.Add(new SubTxn((int)OpCode.Error, new ErrorTxn((int)ErrorCode.RuntimeInconsistency)));
                continue;
            }
            try
            {
                var one = PrepOne(session, op);
                subs.Add(new SubTxn(one.Type, one.Txn!));
            }
            catch (PrepException e)
            {
                // A failed multi changes nothing, so the earlier sub-ops' staged changes go too.
                failed = true;
                _staged.Clear();
                subs.Add(new SubTxn((int)OpCode.Error, new ErrorTxn((int)e.Code)));
            }
        }
        return new PrepResult((int)OpCode.Multi, new MultiTxn(subs), ErrorCode.Ok);
    }

    private PrepResult PrepOne(RequestSession session, Request request) => request switch
    {
        CreateRequest c => PrepCreate(session, c),
        DeleteRequest d => PrepDelete(session, d),
        SetDataRequest s => PrepSetData(session, s),
        SetAclRequest s => PrepSetAcl(session, s),
        CheckVersionRequest c => PrepCheck(session, c),
        _ => throw new PrepException(ErrorCode.Unimplemented),
    };

    /// <summary>A node as this request may change it: staged, else outstanding (copied), else from the tree.</summary>
    private NodeRecord? Record(string path)
    {
        if (_staged.TryGetValue(path, out var staged)) return staged;
        if (_outstanding.TryGetValue(path, out var outstanding)) return outstanding.Record?.Clone();
        var node = tree.GetNode(path);
        if (node is null) return null;
        return new NodeRecord
        {
            Version = node.Version, Cversion = node.Cversion, Aversion = node.Aversion,
            ChildCount = node.Children.Count, EphemeralOwner = node.EphemeralOwner, Acl = node.Acl,
        };
    }

    private NodeRecord RequireRecord(string path) => Record(path) ?? throw new PrepException(ErrorCode.NoNode);

    private static void RequirePerm(NodeRecord node, Perms perm, RequestSession session)
    {
        if (!AclCheck.IsAllowed(node.Acl, perm, session.Auth)) throw new PrepException(ErrorCode.NoAuth);
    }

    private static void RequireValidPath(string path)
    {
        if (!PathValidation.IsValid(path)) throw new PrepException(ErrorCode.BadArguments);
    }

    /// <summary>The version a change will give: the expected version must match unless it is -1 (any).</summary>
    private static int NextVersion(int current, int expected)
    {
        if (expected != -1 && expected != current) throw new PrepException(ErrorCode.BadVersion);
        return current == int.MaxValue ? 1 : current + 1;
    }

    private static bool IsSystemPath(string path) =>
        path is "/" or DataTree.ZookeeperPath or DataTree.QuotaPath or DataTree.ConfigPath;

    private List<Acl> FixupAcl(IReadOnlyList<Acl> acl, RequestSession session) =>
        AclCheck.Fixup(acl, session.Auth) ?? throw new PrepException(ErrorCode.InvalidAcl);

    private PrepResult PrepCreate(RequestSession session, CreateRequest c)
    {
        if (!CreateModes.TryFromFlag(c.Flags, out var mode)) throw new PrepException(ErrorCode.BadArguments);
        if (c.Op == OpCode.CreateContainer && !mode.IsContainer()) throw new PrepException(ErrorCode.BadArguments);
        if (mode.IsTtl())
        {
            if (!settings.ExtendedTypesEnabled) throw new PrepException(ErrorCode.Unimplemented);
            if (c.Ttl <= 0 || c.Ttl > Limits.TtlMsMax) throw new PrepException(ErrorCode.BadArguments);
        }
        else if (c.Op == OpCode.CreateTtl && c.Ttl >= 0)
        {
            throw new PrepException(ErrorCode.BadArguments);
        }
        if (mode.IsEphemeral() && session.SessionId == 0) throw new PrepException(ErrorCode.BadArguments);

        string path = c.PathValue;
        int lastSlash = path.LastIndexOf('/');
        if (lastSlash == -1 || path.Contains('\0')) throw new PrepException(ErrorCode.BadArguments);
        var acl = FixupAcl(c.Acl, session);
        string parentPath = lastSlash == 0 ? "/" : path[..lastSlash];
        var parent = RequireRecord(parentPath);
        RequirePerm(parent, Perms.Create, session);
        if (mode.IsSequential()) path += parent.Cversion.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
        RequireValidPath(path);
        if (path == "/" || Record(path) is not null) throw new PrepException(ErrorCode.NodeExists);
        if (EphemeralKinds.Of(parent.EphemeralOwner) == EphemeralKind.Normal) throw new PrepException(ErrorCode.NoChildrenForEphemerals);
        if (c.Data?.Length > settings.MaxDataBytes) throw new PrepException(ErrorCode.BadArguments);
        CheckQuota(path, c.Data?.Length ?? 0, 1);

        int newCversion = parent.Cversion + 1;
        parent.Cversion = newCversion;
        parent.ChildCount++;
        _staged[parentPath] = parent;
        long owner = mode.IsEphemeral() ? session.SessionId
            : mode.IsContainer() ? Limits.ContainerOwner
            : mode.IsTtl() ? EphemeralKinds.TtlOwner(c.Ttl) : 0;
        _staged[path] = new NodeRecord { EphemeralOwner = owner, Acl = acl };

        if (mode.IsContainer()) return new PrepResult((int)OpCode.CreateContainer, new CreateContainerTxn(path, c.Data, acl, newCversion), ErrorCode.Ok);
        if (mode.IsTtl()) return new PrepResult((int)OpCode.CreateTtl, new CreateTtlTxn(path, c.Data, acl, newCversion, c.Ttl), ErrorCode.Ok);
        int type = c.Op == OpCode.Create ? (int)OpCode.Create : (int)OpCode.Create2;
        return new PrepResult(type, new CreateTxn(path, c.Data, acl, mode.IsEphemeral(), newCversion), ErrorCode.Ok);
    }

    private PrepResult PrepDelete(RequestSession session, DeleteRequest d)
    {
        string path = d.PathValue;
        int lastSlash = path.LastIndexOf('/');
        if (lastSlash == -1 || path.Contains('\0') || IsSystemPath(path)) throw new PrepException(ErrorCode.BadArguments);
        string parentPath = lastSlash == 0 ? "/" : path[..lastSlash];
        var parent = RequireRecord(parentPath);
        if (d.Op == OpCode.Delete) RequirePerm(parent, Perms.Delete, session);
        var node = RequireRecord(path);
        NextVersion(node.Version, d.Version);
        if (node.ChildCount > 0) throw new PrepException(ErrorCode.NotEmpty);
        parent.ChildCount--;
        _staged[parentPath] = parent;
        _staged[path] = null;
        return new PrepResult((int)d.Op, new DeleteTxn(path), ErrorCode.Ok);
    }

    private PrepResult PrepSetData(RequestSession session, SetDataRequest s)
    {
        RequireValidPath(s.PathValue);
        var node = RequireRecord(s.PathValue);
        RequirePerm(node, Perms.Write, session);
        if (s.Data?.Length > settings.MaxDataBytes) throw new PrepException(ErrorCode.BadArguments);
        node.Version = NextVersion(node.Version, s.Version);
        CheckQuota(s.PathValue, (s.Data?.Length ?? 0) - (tree.GetNode(s.PathValue)?.DataLength ?? 0), 0);
        _staged[s.PathValue] = node;
        return new PrepResult((int)OpCode.SetData, new SetDataTxn(s.PathValue, s.Data, node.Version), ErrorCode.Ok);
    }

    /// <summary>
    /// ZooKeeper's checkQuota: the write's growth against the usage the tree holds for the quota above the path.
    /// Past a hard limit the write is refused (when enforced); past a soft limit it is reported and goes ahead.
    /// Only growth is checked, so a subtree already over its limit can always shrink.
    /// </summary>
    private void CheckQuota(string path, long bytesAdded, int countAdded)
    {
        if ((bytesAdded <= 0 && countAdded <= 0) || Quotas.QuotaRootOf(tree, path) is not { } root) return;
        var limits = Quotas.ParseLimits(tree.GetNode(Quotas.LimitsPath(root))?.Data);
        var usage = Quotas.ParseUsage(tree.GetNode(Quotas.StatsPath(root))?.Data);
        if (countAdded > 0) CheckLimit(root, "count", usage.Count + countAdded, limits.Count, limits.CountHard);
        if (bytesAdded > 0) CheckLimit(root, "bytes", usage.Bytes + bytesAdded, limits.Bytes, limits.BytesHard);
    }

    private void CheckLimit(string root, string kind, long value, long soft, long hard)
    {
        if (hard > -1 && value > hard)
        {
            settings.QuotaExceeded?.Invoke(new QuotaWarning(root, kind + " hard limit", value, hard));
            if (settings.EnforceQuota) throw new PrepException(ErrorCode.QuotaExceeded);
        }
        else if (soft > -1 && value > soft)
        {
            settings.QuotaExceeded?.Invoke(new QuotaWarning(root, kind, value, soft));
        }
    }

    private PrepResult PrepSetAcl(RequestSession session, SetAclRequest s)
    {
        RequireValidPath(s.PathValue);
        var acl = FixupAcl(s.Acl, session);
        var node = RequireRecord(s.PathValue);
        RequirePerm(node, Perms.Admin, session);
        node.Aversion = NextVersion(node.Aversion, s.Version);
        node.Acl = acl;
        _staged[s.PathValue] = node;
        return new PrepResult((int)OpCode.SetAcl, new SetAclTxn(s.PathValue, acl, node.Aversion), ErrorCode.Ok);
    }

    private PrepResult PrepCheck(RequestSession session, CheckVersionRequest c)
    {
        RequireValidPath(c.PathValue);
        var node = RequireRecord(c.PathValue);
        RequirePerm(node, Perms.Read, session);
        NextVersion(node.Version, c.Version);
        return new PrepResult((int)OpCode.Check, new CheckVersionTxn(c.PathValue, node.Version), ErrorCode.Ok);
    }
}
