// Answers read requests from the local tree, registering watches, as ZooKeeper's FinalRequestProcessor does for reads.
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.StateMachine.Security;
using Coordinator.StateMachine.Watches;

namespace Coordinator.StateMachine;

public readonly record struct ReadResult(ErrorCode Err, IRecord? Body)
{
    public static ReadResult Fail(ErrorCode err) => new(err, null);
}

public sealed class ReadProcessor(DataTree tree)
{
    public ReadResult Execute(RequestSession session, Request request) => request switch
    {
        PathWatchRequest { Op: OpCode.Exists } r => Exists(session, r),
        PathWatchRequest { Op: OpCode.GetData } r => GetData(session, r.PathValue, r.Watch),
        PathWatchRequest { Op: OpCode.GetChildren or OpCode.GetChildren2 } r => GetChildren(session, r),
        PathRequest { Op: OpCode.GetAcl } r => GetAcl(session, r.PathValue),
        PathRequest { Op: OpCode.GetAllChildrenNumber } r => GetAllChildrenNumber(session, r.PathValue),
        PathRequest { Op: OpCode.GetEphemerals } r => GetEphemerals(session, r.PathValue),
        PathRequest { Op: OpCode.Sync } r => new ReadResult(ErrorCode.Ok, new PathResponse(r.PathValue)),
        MultiRequest { Op: OpCode.MultiRead } m => MultiRead(session, m),
        AddWatchRequest r => AddWatch(session, r),
        WatchesRequest r => Watches(session, r),
        EmptyRequest { Op: OpCode.WhoAmI } => new ReadResult(ErrorCode.Ok,
            new WhoAmIResponse(session.Auth.Select(id => new ClientInfo(id.Scheme, UserName(id))).ToList())),
        _ => ReadResult.Fail(ErrorCode.Unimplemented),
    };

    public static bool IsRead(OpCode op) => op is OpCode.Exists or OpCode.GetData or OpCode.GetChildren
        or OpCode.GetChildren2 or OpCode.GetAcl or OpCode.GetAllChildrenNumber or OpCode.GetEphemerals
        or OpCode.Sync or OpCode.MultiRead or OpCode.AddWatch or OpCode.CheckWatches or OpCode.RemoveWatches or OpCode.WhoAmI;

    /// <summary>whoAmI shows a digest id by its user name alone, as ZooKeeper's digest provider does.</summary>
    private static string UserName(Id id) =>
        id.Scheme == DigestAuth.Scheme && id.Ident.IndexOf(':') is var colon and >= 0 ? id.Ident[..colon] : id.Ident;

    private ReadResult Exists(RequestSession session, PathWatchRequest r)
    {
        if (!PathValidation.IsValid(r.PathValue)) return ReadResult.Fail(ErrorCode.BadArguments);
        var node = tree.GetNode(r.PathValue);
        // An exists watch is left even when the node is absent: it fires on NodeCreated.
        if (r.Watch) tree.Watches.AddDataWatch(r.PathValue, session.SessionId);
        return node is null ? ReadResult.Fail(ErrorCode.NoNode) : new ReadResult(ErrorCode.Ok, new StatResponse(node.ToStat()));
    }

    private (DataNode? Node, ErrorCode Err) Readable(RequestSession session, string path, Perms perm = Perms.Read)
    {
        if (!PathValidation.IsValid(path)) return (null, ErrorCode.BadArguments);
        var node = tree.GetNode(path);
        if (node is null) return (null, ErrorCode.NoNode);
        if (!AclCheck.IsAllowed(node.Acl, perm, session.Auth)) return (null, ErrorCode.NoAuth);
        return (node, ErrorCode.Ok);
    }

    private ReadResult GetData(RequestSession session, string path, bool watch)
    {
        var (node, err) = Readable(session, path);
        if (node is null) return ReadResult.Fail(err);
        if (watch) tree.Watches.AddDataWatch(path, session.SessionId);
        return new ReadResult(ErrorCode.Ok, new GetDataResponse(node.Data, node.ToStat()));
    }

    private ReadResult GetChildren(RequestSession session, PathWatchRequest r)
    {
        var (node, err) = Readable(session, r.PathValue);
        if (node is null) return ReadResult.Fail(err);
        if (r.Watch) tree.Watches.AddChildWatch(r.PathValue, session.SessionId);
        var children = node.Children.ToList();
        return new ReadResult(ErrorCode.Ok, r.Op == OpCode.GetChildren
            ? new GetChildrenResponse(children)
            : new GetChildren2Response(children, node.ToStat()));
    }

    private ReadResult GetAcl(RequestSession session, string path)
    {
        if (!PathValidation.IsValid(path)) return ReadResult.Fail(ErrorCode.BadArguments);
        var node = tree.GetNode(path);
        if (node is null) return ReadResult.Fail(ErrorCode.NoNode);
        if (AclCheck.IsAllowed(node.Acl, Perms.Admin, session.Auth))
            return new ReadResult(ErrorCode.Ok, new GetAclResponse(node.Acl, node.ToStat()));
        if (!AclCheck.IsAllowed(node.Acl, Perms.Read, session.Auth)) return ReadResult.Fail(ErrorCode.NoAuth);
        // Without ADMIN a reader sees who is allowed, but not the password hashes (ZooKeeper 3.8 does the same).
        var redacted = node.Acl.Select(a => a.Id.Scheme == DigestAuth.Scheme
            ? a with { Id = new Id(a.Id.Scheme, UserName(a.Id) + ":x") } : a).ToList();
        return new ReadResult(ErrorCode.Ok, new GetAclResponse(redacted, node.ToStat()));
    }

    private ReadResult GetAllChildrenNumber(RequestSession session, string path)
    {
        var (node, err) = Readable(session, path);
        if (node is null) return ReadResult.Fail(err);
        return new ReadResult(ErrorCode.Ok, new GetAllChildrenNumberResponse(tree.CountDescendants(path)));
    }

    private ReadResult GetEphemerals(RequestSession session, string prefix)
    {
        var list = tree.EphemeralsOf(session.SessionId)
            .Where(p => prefix == "/" || p.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        return new ReadResult(ErrorCode.Ok, new GetEphemeralsResponse(list));
    }

    private ReadResult MultiRead(RequestSession session, MultiRequest m)
    {
        var results = new List<OpResult>(m.Ops.Count);
        foreach (var op in m.Ops)
        {
            var r = op is PathWatchRequest { Op: OpCode.GetData } g
                ? GetData(session, g.PathValue, g.Watch)
                : GetChildren(session, (PathWatchRequest)op with { Op = OpCode.GetChildren });
            results.Add(r.Err == ErrorCode.Ok
                ? new OpResult((int)op.Op, 0, r.Body)
                : new OpResult((int)OpCode.Error, (int)r.Err, new ErrorResponse((int)r.Err)));
        }
        return new ReadResult(ErrorCode.Ok, new MultiResponse(results));
    }

    private ReadResult AddWatch(RequestSession session, AddWatchRequest r)
    {
        // ZooKeeper fails to map an unknown mode while decoding, so it answers MarshallingError.
        if (r.Mode is not (0 or 1)) return ReadResult.Fail(ErrorCode.MarshallingError);
        if (!PathValidation.IsValid(r.PathValue)) return ReadResult.Fail(ErrorCode.BadArguments);
        tree.Watches.AddPersistentWatch(r.PathValue, session.SessionId, recursive: r.Mode == 1);
        return new ReadResult(ErrorCode.Ok, new ErrorResponse(0));
    }

    private ReadResult Watches(RequestSession session, WatchesRequest r)
    {
        if (!PathValidation.IsValid(r.PathValue) || r.Type is < 1 or > 5) return ReadResult.Fail(ErrorCode.BadArguments);
        var type = (WatcherType)r.Type;
        bool found = r.Op == OpCode.CheckWatches
            ? tree.Watches.Contains(r.PathValue, type, session.SessionId)
            : tree.Watches.Remove(r.PathValue, type, session.SessionId);
        return found ? new ReadResult(ErrorCode.Ok, null) : ReadResult.Fail(ErrorCode.NoWatcher);
    }
}
