// The connection-level records: the connect handshake, request and reply headers, notifications, auth and setWatches.
namespace Coordinator.Jute.Records;

public sealed record ConnectRequest(int ProtocolVersion, long LastZxidSeen, int TimeoutMs, long SessionId, byte[] Password, bool? ReadOnly)
{
    public static ConnectRequest Read(ref JuteReader r)
    {
        int protocolVersion = r.ReadInt();
        long lastZxid = r.ReadLong();
        int timeout = r.ReadInt();
        long sessionId = r.ReadLong();
        byte[] password = r.ReadBuffer() ?? [];
        // Clients before 3.4 do not send the readOnly byte; its absence is legal.
        bool? readOnly = r.Remaining >= 1 ? r.ReadBool() : null;
        return new ConnectRequest(protocolVersion, lastZxid, timeout, sessionId, password, readOnly);
    }

    public void Write(JuteWriter w)
    {
        w.WriteInt(ProtocolVersion);
        w.WriteLong(LastZxidSeen);
        w.WriteInt(TimeoutMs);
        w.WriteLong(SessionId);
        w.WriteBuffer(Password);
        if (ReadOnly is { } ro) w.WriteBool(ro);
    }
}

public sealed record ConnectResponse(int ProtocolVersion, int TimeoutMs, long SessionId, byte[] Password, bool? ReadOnly) : IRecord
{
    public static ConnectResponse Read(ref JuteReader r)
    {
        int protocolVersion = r.ReadInt();
        int timeout = r.ReadInt();
        long sessionId = r.ReadLong();
        byte[] password = r.ReadBuffer() ?? [];
        bool? readOnly = r.Remaining >= 1 ? r.ReadBool() : null;
        return new ConnectResponse(protocolVersion, timeout, sessionId, password, readOnly);
    }

    public void Write(JuteWriter w)
    {
        w.WriteInt(ProtocolVersion);
        w.WriteInt(TimeoutMs);
        w.WriteLong(SessionId);
        w.WriteBuffer(Password);
        if (ReadOnly is { } ro) w.WriteBool(ro);
    }
}

public readonly record struct RequestHeader(int Xid, int Type)
{
    public static RequestHeader Read(ref JuteReader r) => new(r.ReadInt(), r.ReadInt());

    public void Write(JuteWriter w)
    {
        w.WriteInt(Xid);
        w.WriteInt(Type);
    }
}

public readonly record struct ReplyHeader(int Xid, long Zxid, int Err)
{
    public static ReplyHeader Read(ref JuteReader r) => new(r.ReadInt(), r.ReadLong(), r.ReadInt());

    public void Write(JuteWriter w)
    {
        w.WriteInt(Xid);
        w.WriteLong(Zxid);
        w.WriteInt(Err);
    }
}

public sealed record WatcherEvent(int Type, int State, string Path) : IRecord
{
    public static WatcherEvent Read(ref JuteReader r) => new(r.ReadInt(), r.ReadInt(), r.ReadRequiredString());

    public void Write(JuteWriter w)
    {
        w.WriteInt(Type);
        w.WriteInt(State);
        w.WriteString(Path);
    }
}

public sealed record AuthPacket(int Type, string Scheme, byte[] Auth) : IRecord
{
    public static AuthPacket Read(ref JuteReader r) => new(r.ReadInt(), r.ReadRequiredString(), r.ReadBuffer() ?? []);

    public void Write(JuteWriter w)
    {
        w.WriteInt(Type);
        w.WriteString(Scheme);
        w.WriteBuffer(Auth);
    }
}

/// <summary>setWatches (opcode 101) and setWatches2 (opcode 105); the first has no persistent lists.</summary>
public sealed record SetWatches(
    long RelativeZxid, List<string> DataWatches, List<string> ExistWatches, List<string> ChildWatches,
    List<string> PersistentWatches, List<string> PersistentRecursiveWatches) : IRecord
{
    public static SetWatches Read(ref JuteReader r, bool version2)
    {
        long zxid = r.ReadLong();
        var data = r.ReadStringVector();
        var exist = r.ReadStringVector();
        var child = r.ReadStringVector();
        var persistent = version2 ? r.ReadStringVector() : [];
        var recursive = version2 ? r.ReadStringVector() : [];
        return new SetWatches(zxid, data, exist, child, persistent, recursive);
    }

    public void Write(JuteWriter w)
    {
        w.WriteLong(RelativeZxid);
        w.WriteStringVector(DataWatches);
        w.WriteStringVector(ExistWatches);
        w.WriteStringVector(ChildWatches);
        w.WriteStringVector(PersistentWatches);
        w.WriteStringVector(PersistentRecursiveWatches);
    }
}

public readonly record struct MultiHeader(int Type, bool Done, int Err)
{
    public static MultiHeader Read(ref JuteReader r) => new(r.ReadInt(), r.ReadBool(), r.ReadInt());

    public void Write(JuteWriter w)
    {
        w.WriteInt(Type);
        w.WriteBool(Done);
        w.WriteInt(Err);
    }
}
