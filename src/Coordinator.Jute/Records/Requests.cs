// Client request bodies, one record per shape in zookeeper.jute, and the decoder that picks one by opcode.
namespace Coordinator.Jute.Records;

/// <summary>A decoded request body. <see cref="Op"/> is the opcode it arrived with.</summary>
public abstract record Request(OpCode Op) : IRecord
{
    public abstract void Write(JuteWriter w);

    /// <summary>The path the request is about, when it has one.</summary>
    public virtual string? Path => null;
}

/// <summary>create, create2, createContainer (CreateRequest) and createTTL (CreateTTLRequest, which adds the ttl).</summary>
public sealed record CreateRequest(OpCode Op, string PathValue, byte[]? Data, List<Acl> Acl, int Flags, long Ttl = -1) : Request(Op)
{
    public override string Path => PathValue;

    public static CreateRequest Read(OpCode op, ref JuteReader r)
    {
        string path = r.ReadRequiredString();
        byte[]? data = r.ReadBuffer();
        var acl = Records.Acl.ReadList(ref r);
        int flags = r.ReadInt();
        long ttl = op == OpCode.CreateTtl ? r.ReadLong() : -1;
        return new CreateRequest(op, path, data, acl, flags, ttl);
    }

    public override void Write(JuteWriter w)
    {
        w.WriteString(PathValue);
        w.WriteBuffer(Data);
        Records.Acl.WriteList(w, Acl);
        w.WriteInt(Flags);
        if (Op == OpCode.CreateTtl) w.WriteLong(Ttl);
    }
}

/// <summary>delete and deleteContainer (DeleteRequest).</summary>
public sealed record DeleteRequest(OpCode Op, string PathValue, int Version) : Request(Op)
{
    public override string Path => PathValue;

    public static DeleteRequest Read(OpCode op, ref JuteReader r) => new(op, r.ReadRequiredString(), r.ReadInt());

    public override void Write(JuteWriter w)
    {
        w.WriteString(PathValue);
        w.WriteInt(Version);
    }
}

/// <summary>exists, getData, getChildren and getChildren2: a path and a watch flag.</summary>
public sealed record PathWatchRequest(OpCode Op, string PathValue, bool Watch) : Request(Op)
{
    public override string Path => PathValue;

    public static PathWatchRequest Read(OpCode op, ref JuteReader r) => new(op, r.ReadRequiredString(), r.ReadBool());

    public override void Write(JuteWriter w)
    {
        w.WriteString(PathValue);
        w.WriteBool(Watch);
    }
}

/// <summary>getACL, sync, getAllChildrenNumber and getEphemerals (whose path is a prefix): a path alone.</summary>
public sealed record PathRequest(OpCode Op, string PathValue) : Request(Op)
{
    public override string Path => PathValue;

    public static PathRequest Read(OpCode op, ref JuteReader r) => new(op, r.ReadRequiredString());

    public override void Write(JuteWriter w) => w.WriteString(PathValue);
}

public sealed record SetDataRequest(string PathValue, byte[]? Data, int Version) : Request(OpCode.SetData)
{
    public override string Path => PathValue;

    public static SetDataRequest Read(ref JuteReader r) => new(r.ReadRequiredString(), r.ReadBuffer(), r.ReadInt());

    public override void Write(JuteWriter w)
    {
        w.WriteString(PathValue);
        w.WriteBuffer(Data);
        w.WriteInt(Version);
    }
}

public sealed record SetAclRequest(string PathValue, List<Acl> Acl, int Version) : Request(OpCode.SetAcl)
{
    public override string Path => PathValue;

    public static SetAclRequest Read(ref JuteReader r)
    {
        string path = r.ReadRequiredString();
        var acl = Records.Acl.ReadList(ref r);
        return new SetAclRequest(path, acl, r.ReadInt());
    }

    public override void Write(JuteWriter w)
    {
        w.WriteString(PathValue);
        Records.Acl.WriteList(w, Acl);
        w.WriteInt(Version);
    }
}

public sealed record CheckVersionRequest(string PathValue, int Version) : Request(OpCode.Check)
{
    public override string Path => PathValue;

    public static CheckVersionRequest Read(ref JuteReader r) => new(r.ReadRequiredString(), r.ReadInt());

    public override void Write(JuteWriter w)
    {
        w.WriteString(PathValue);
        w.WriteInt(Version);
    }
}

/// <summary>addWatch: mode 0 is persistent, 1 persistent-recursive (AddWatchMode).</summary>
public sealed record AddWatchRequest(string PathValue, int Mode) : Request(OpCode.AddWatch)
{
    public override string Path => PathValue;

    public static AddWatchRequest Read(ref JuteReader r) => new(r.ReadRequiredString(), r.ReadInt());

    public override void Write(JuteWriter w)
    {
        w.WriteString(PathValue);
        w.WriteInt(Mode);
    }
}

/// <summary>checkWatches and removeWatches: a path and a WatcherType (1 children, 2 data, 3 any, 4 persistent, 5 recursive).</summary>
public sealed record WatchesRequest(OpCode Op, string PathValue, int Type) : Request(Op)
{
    public override string Path => PathValue;

    public static WatchesRequest Read(OpCode op, ref JuteReader r) => new(op, r.ReadRequiredString(), r.ReadInt());

    public override void Write(JuteWriter w)
    {
        w.WriteString(PathValue);
        w.WriteInt(Type);
    }
}

public sealed record ReconfigRequest(string? JoiningServers, string? LeavingServers, string? NewMembers, long CurConfigId)
    : Request(OpCode.Reconfig)
{
    public static ReconfigRequest Read(ref JuteReader r) => new(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadLong());

    public override void Write(JuteWriter w)
    {
        w.WriteString(JoiningServers);
        w.WriteString(LeavingServers);
        w.WriteString(NewMembers);
        w.WriteLong(CurConfigId);
    }
}

/// <summary>Requests without a body: ping, closeSession, whoAmI.</summary>
public sealed record EmptyRequest(OpCode Op) : Request(Op)
{
    public override void Write(JuteWriter w) { }
}

/// <summary>multi and multiRead: the ops in order, each preceded by a MultiHeader, closed by a done header.</summary>
public sealed record MultiRequest(OpCode Op, List<Request> Ops) : Request(Op)
{
    public static MultiRequest Read(OpCode op, ref JuteReader r)
    {
        var ops = new List<Request>();
        while (true)
        {
            var header = MultiHeader.Read(ref r);
            if (header.Done) return new MultiRequest(op, ops);
            var subOp = (OpCode)header.Type;
            if (!IsAllowedInMulti(op, subOp))
                throw new JuteException($"opcode {header.Type} is not allowed inside {op}");
            ops.Add(RequestDecoder.DecodeBody(subOp, ref r));
        }
    }

    private static bool IsAllowedInMulti(OpCode multi, OpCode sub) => multi == OpCode.MultiRead
        ? sub is OpCode.GetChildren or OpCode.GetData
        : sub is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl or OpCode.Delete
            or OpCode.DeleteContainer or OpCode.SetData or OpCode.Check;

    public override void Write(JuteWriter w)
    {
        foreach (var op in Ops)
        {
            new MultiHeader((int)op.Op, false, -1).Write(w);
            op.Write(w);
        }
        new MultiHeader(-1, true, -1).Write(w);
    }
}

public static class RequestDecoder
{
    /// <summary>Decodes the body of a request with the given opcode; null when the opcode is unknown.</summary>
    public static Request? TryDecode(OpCode op, ref JuteReader r) => IsKnown(op) ? DecodeBody(op, ref r) : null;

    public static bool IsKnown(OpCode op) => op is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer
        or OpCode.CreateTtl or OpCode.Delete or OpCode.DeleteContainer or OpCode.Exists or OpCode.GetData
        or OpCode.GetChildren or OpCode.GetChildren2 or OpCode.SetData or OpCode.GetAcl or OpCode.SetAcl
        or OpCode.Sync or OpCode.GetAllChildrenNumber or OpCode.GetEphemerals or OpCode.Check or OpCode.Multi
        or OpCode.MultiRead or OpCode.AddWatch or OpCode.CheckWatches or OpCode.RemoveWatches or OpCode.Reconfig
        or OpCode.Ping or OpCode.CloseSession or OpCode.WhoAmI;

    internal static Request DecodeBody(OpCode op, ref JuteReader r) => op switch
    {
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => CreateRequest.Read(op, ref r),
        OpCode.Delete or OpCode.DeleteContainer => DeleteRequest.Read(op, ref r),
        OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2 => PathWatchRequest.Read(op, ref r),
        OpCode.SetData => SetDataRequest.Read(ref r),
        OpCode.GetAcl or OpCode.Sync or OpCode.GetAllChildrenNumber or OpCode.GetEphemerals => PathRequest.Read(op, ref r),
        OpCode.SetAcl => SetAclRequest.Read(ref r),
        OpCode.Check => CheckVersionRequest.Read(ref r),
        OpCode.Multi or OpCode.MultiRead => MultiRequest.Read(op, ref r),
        OpCode.AddWatch => AddWatchRequest.Read(ref r),
        OpCode.CheckWatches or OpCode.RemoveWatches => WatchesRequest.Read(op, ref r),
        OpCode.Reconfig => ReconfigRequest.Read(ref r),
        OpCode.Ping or OpCode.CloseSession or OpCode.WhoAmI => new EmptyRequest(op),
        _ => throw new JuteException($"unknown opcode {(int)op}"),
    };
}

/// <summary>A request of a known opcode whose body did not decode; it is answered with MarshallingError.</summary>
public sealed record UndecodableRequest(OpCode Op, string Reason) : Request(Op)
{
    public override void Write(JuteWriter w) => throw new InvalidOperationException("an undecodable request cannot be encoded");
}
