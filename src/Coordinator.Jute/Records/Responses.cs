// Response bodies of the client protocol, one record per shape in zookeeper.jute.
namespace Coordinator.Jute.Records;

public sealed record CreateResponse(string Path) : IRecord
{
    public void Write(JuteWriter w) => w.WriteString(Path);
}

public sealed record Create2Response(string Path, Stat Stat) : IRecord
{
    public void Write(JuteWriter w)
    {
        w.WriteString(Path);
        Stat.Write(w);
    }
}

/// <summary>ExistsResponse, SetDataResponse and SetACLResponse: a Stat alone.</summary>
public sealed record StatResponse(Stat Stat) : IRecord
{
    public void Write(JuteWriter w) => Stat.Write(w);
}

public sealed record GetDataResponse(byte[]? Data, Stat Stat) : IRecord
{
    public void Write(JuteWriter w)
    {
        w.WriteBuffer(Data);
        Stat.Write(w);
    }
}

public sealed record GetChildrenResponse(IReadOnlyList<string> Children) : IRecord
{
    public void Write(JuteWriter w) => w.WriteStringVector(Children);
}

public sealed record GetChildren2Response(IReadOnlyList<string> Children, Stat Stat) : IRecord
{
    public void Write(JuteWriter w)
    {
        w.WriteStringVector(Children);
        Stat.Write(w);
    }
}

public sealed record GetAclResponse(IReadOnlyList<Acl> Acl, Stat Stat) : IRecord
{
    public void Write(JuteWriter w)
    {
        Records.Acl.WriteList(w, Acl);
        Stat.Write(w);
    }
}

/// <summary>SyncResponse (and any other response that is a single path).</summary>
public sealed record PathResponse(string Path) : IRecord
{
    public void Write(JuteWriter w) => w.WriteString(Path);
}

public sealed record GetAllChildrenNumberResponse(int TotalNumber) : IRecord
{
    public void Write(JuteWriter w) => w.WriteInt(TotalNumber);
}

public sealed record GetEphemeralsResponse(IReadOnlyList<string> Ephemerals) : IRecord
{
    public void Write(JuteWriter w) => w.WriteStringVector(Ephemerals);
}

public readonly record struct ClientInfo(string AuthScheme, string User);

public sealed record WhoAmIResponse(IReadOnlyList<ClientInfo> ClientInfo) : IRecord
{
    public void Write(JuteWriter w)
    {
        w.WriteInt(ClientInfo.Count);
        foreach (var info in ClientInfo)
        {
            w.WriteString(info.AuthScheme);
            w.WriteString(info.User);
        }
    }
}

public sealed record ErrorResponse(int Err) : IRecord
{
    public void Write(JuteWriter w) => w.WriteInt(Err);
}

/// <summary>One result inside a multi response: the sub-op's type (-1 for an error), its error code and its body.</summary>
public readonly record struct OpResult(int Type, int Err, IRecord? Body);

public sealed record MultiResponse(IReadOnlyList<OpResult> Results) : IRecord
{
    public void Write(JuteWriter w)
    {
        foreach (var result in Results)
        {
            new MultiHeader(result.Type, false, result.Err).Write(w);
            result.Body?.Write(w);
        }
        new MultiHeader(-1, true, -1).Write(w);
    }
}

/// <summary>An empty body: responses that carry only the reply header.</summary>
public sealed class EmptyResponse : IRecord
{
    public static readonly EmptyResponse Instance = new();

    public void Write(JuteWriter w) { }
}
