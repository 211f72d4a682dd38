// Reply decoders, one per response shape of zookeeper.jute: the client's read side of Coordinator.Jute's records.
using Coordinator.Client.Connection;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Client.Operations;

internal static class Decoders
{
    // Method-group delegates over static methods are cached by the compiler: no allocation per request.
    public static readonly ResponseDecoder<bool> Empty = ReadEmpty;
    public static readonly ResponseDecoder<CreateResult> Create = ReadCreate;
    public static readonly ResponseDecoder<NodeData> GetData = ReadGetData;
    public static readonly ResponseDecoder<Stat?> Exists = ReadExists;
    public static readonly ResponseDecoder<Stat> Stat = ReadStat;
    public static readonly ResponseDecoder<NodeChildren> GetChildren = ReadGetChildren;
    public static readonly ResponseDecoder<NodeAcl> GetAcl = ReadGetAcl;
    public static readonly ResponseDecoder<string> Path = ReadPath;
    public static readonly ResponseDecoder<int> AllChildrenNumber = ReadAllChildrenNumber;
    public static readonly ResponseDecoder<IReadOnlyList<string>> Ephemerals = ReadEphemerals;
    public static readonly ResponseDecoder<IReadOnlyList<ClientInfo>> WhoAmI = ReadWhoAmI;
    public static readonly ResponseDecoder<IReadOnlyList<OpResult>> Multi = ReadMulti;
    public static readonly ResponseDecoder<IReadOnlyList<OpResult>> MultiRead = ReadMultiRead;

    private static void ThrowIfError(ErrorCode err, PendingRequest request)
    {
        if (err != ErrorCode.Ok) throw KeeperException.Create(err, request.ClientPath);
    }

    private static bool ReadEmpty(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        ThrowIfError(err, request);
        return true;
    }

    private static CreateResult ReadCreate(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        ThrowIfError(err, request);
        string path = r.ReadRequiredString();
        return new CreateResult(request.Chroot.ToClient(path), Jute.Records.Stat.Read(ref r));
    }

    private static NodeData ReadGetData(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        ThrowIfError(err, request);
        byte[] data = r.ReadBuffer() ?? [];
        return new NodeData(data, Jute.Records.Stat.Read(ref r));
    }

    private static Stat? ReadExists(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        if (err == ErrorCode.NoNode) return null;
        ThrowIfError(err, request);
        return Jute.Records.Stat.Read(ref r);
    }

    private static Stat ReadStat(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        ThrowIfError(err, request);
        return Jute.Records.Stat.Read(ref r);
    }

    private static NodeChildren ReadGetChildren(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        ThrowIfError(err, request);
        var children = r.ReadStringVector();
        return new NodeChildren(children, Jute.Records.Stat.Read(ref r));
    }

    private static NodeAcl ReadGetAcl(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        ThrowIfError(err, request);
        var acl = Acl.ReadList(ref r);
        return new NodeAcl(acl, Jute.Records.Stat.Read(ref r));
    }

    private static string ReadPath(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        ThrowIfError(err, request);
        return request.Chroot.ToClient(r.ReadRequiredString());
    }

    private static int ReadAllChildrenNumber(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        ThrowIfError(err, request);
        return r.ReadInt();
    }

    private static IReadOnlyList<string> ReadEphemerals(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        ThrowIfError(err, request);
        var paths = r.ReadStringVector();
        for (int i = 0; i < paths.Count; i++) paths[i] = request.Chroot.ToClient(paths[i]);
        return paths;
    }

    private static IReadOnlyList<ClientInfo> ReadWhoAmI(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        ThrowIfError(err, request);
        int count = r.ReadVectorCount(8);
        var infos = new List<ClientInfo>(count);
        for (int i = 0; i < count; i++) infos.Add(new ClientInfo(r.ReadRequiredString(), r.ReadRequiredString()));
        return infos;
    }

    /// <summary>A failed multi throws the first failing op's exception, with every op's result attached.</summary>
    private static IReadOnlyList<OpResult> ReadMulti(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        if (err != ErrorCode.Ok && r.Remaining == 0) throw KeeperException.Create(err, request.ClientPath);
        var results = ReadResults(ref r, request);
        foreach (var result in results)
        {
            if (result is ErrorResult { Code: not ErrorCode.Ok } failed)
            {
                var error = failed.ToException();
                error.OpResults = results;
                throw error;
            }
        }
        if (err != ErrorCode.Ok) throw KeeperException.Create(err, request.ClientPath);
        return results;
    }

    /// <summary>multiRead never fails as a whole: each op answers on its own.</summary>
    private static IReadOnlyList<OpResult> ReadMultiRead(ErrorCode err, ref JuteReader r, PendingRequest request)
    {
        if (err != ErrorCode.Ok && r.Remaining == 0) throw KeeperException.Create(err, request.ClientPath);
        return ReadResults(ref r, request);
    }

    private static List<OpResult> ReadResults(ref JuteReader r, PendingRequest request)
    {
        var paths = request.OpPaths ?? [];
        var results = new List<OpResult>(paths.Count);
        while (true)
        {
            var header = MultiHeader.Read(ref r);
            if (header.Done) return results;
            string? path = results.Count < paths.Count ? paths[results.Count] : null;
            results.Add(ReadResult((OpCode)header.Type, ref r, request.Chroot, path));
        }
    }

    private static OpResult ReadResult(OpCode type, ref JuteReader r, Chroot chroot, string? path)
    {
        switch (type)
        {
            case OpCode.Error:
                return new ErrorResult((ErrorCode)r.ReadInt(), path);
            case OpCode.Create:
                return new CreateResult(chroot.ToClient(r.ReadRequiredString()), default);
            case OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl:
                string created = chroot.ToClient(r.ReadRequiredString());
                return new CreateResult(created, Jute.Records.Stat.Read(ref r));
            case OpCode.Delete or OpCode.DeleteContainer:
                return new DeleteResult();
            case OpCode.SetData:
                return new SetDataResult(Jute.Records.Stat.Read(ref r));
            case OpCode.Check:
                return new CheckResult();
            case OpCode.GetData:
                byte[] data = r.ReadBuffer() ?? [];
                return new NodeData(data, Jute.Records.Stat.Read(ref r));
            case OpCode.GetChildren:
                return new ChildrenResult(r.ReadStringVector());
            default:
                throw new JuteException($"unexpected op type {(int)type} in a multi response");
        }
    }
}
