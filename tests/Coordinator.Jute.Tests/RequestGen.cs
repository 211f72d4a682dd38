// FsCheck generators for valid request records, and a structural description used to compare decoded records.
using Coordinator.Jute.Records;
using FsCheck;
using FsCheck.Fluent;

namespace Coordinator.Jute.Tests;

internal static class RequestGen
{
    /// <summary>Every opcode the decoder knows, so random-byte properties reach every record's reader.</summary>
    public static readonly OpCode[] KnownOps = Enum.GetValues<OpCode>().Where(RequestDecoder.IsKnown).ToArray();

    /// <summary>Strings that survive UTF-8 round trips: no lone surrogates (those decode as U+FFFD by design).</summary>
    public static Gen<string> Text { get; } = Gen.OneOf(
        Gen.Elements("", "/", "/a", "/a/b", "/zk/\u00e9t\u00e9", "/\u65e5\u672c", "/a/", "//", "/a\u0000b", "digest", "world"),
        Gen.ArrayOf(Gen.Choose(0x20, 0x7e).Select(c => (char)c)).Select(cs => new string(cs)),
        Gen.ArrayOf(Gen.Elements('a', '/', '\u00e9', '\u4e2d', '\u0000', '.')).Select(cs => new string(cs)));

    public static Gen<byte[]> Bytes { get; } = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b));

    private static Gen<int> AnyInt { get; } = Gen.OneOf(
        Gen.Choose(-3, 40), Gen.Elements(int.MinValue, int.MaxValue, -1, 0x7fff_fffe), ArbMap.Default.GeneratorFor<int>());

    private static Gen<long> AnyLong { get; } = Gen.OneOf(
        Gen.Elements(long.MinValue, long.MaxValue, -1L, 0L, 1L, 0x1_0000_0001L), ArbMap.Default.GeneratorFor<long>());

    public static Gen<Acl> Acl { get; } =
        from perms in AnyInt
        from scheme in Text
        from ident in Text
        select new Acl(perms, new Id(scheme, ident));

    public static Gen<List<Acl>> Acls { get; } = Gen.ListOf(Acl).Select(l => l.ToList());

    private static Gen<Request> Create(OpCode op) =>
        from path in Text
        from data in Bytes
        from acl in Acls
        from flags in AnyInt
        from ttl in AnyLong
        select (Request)new CreateRequest(op, path, data, acl, flags, op == OpCode.CreateTtl ? ttl : -1);

    private static Gen<Request> Delete(OpCode op) =>
        from path in Text
        from version in AnyInt
        select (Request)new DeleteRequest(op, path, version);

    private static Gen<Request> SetData { get; } =
        from path in Text
        from data in Bytes
        from version in AnyInt
        select (Request)new SetDataRequest(path, data, version);

    private static Gen<Request> Check { get; } =
        from path in Text
        from version in AnyInt
        select (Request)new CheckVersionRequest(path, version);

    private static Gen<Request> PathWatch(OpCode op) =>
        from path in Text
        from watch in ArbMap.Default.GeneratorFor<bool>()
        select (Request)new PathWatchRequest(op, path, watch);

    private static Gen<Request> WriteOp { get; } = Gen.OneOf(
        Create(OpCode.Create), Create(OpCode.Create2), Create(OpCode.CreateContainer), Create(OpCode.CreateTtl),
        Delete(OpCode.Delete), Delete(OpCode.DeleteContainer), SetData, Check);

    private static Gen<Request> ReadOp { get; } = Gen.OneOf(PathWatch(OpCode.GetData), PathWatch(OpCode.GetChildren));

    /// <summary>Any request the decoder accepts, including multi and multiRead with their allowed sub-ops.</summary>
    public static Gen<Request> Any { get; } = Gen.OneOf(
        WriteOp,
        PathWatch(OpCode.Exists), PathWatch(OpCode.GetData), PathWatch(OpCode.GetChildren), PathWatch(OpCode.GetChildren2),
        Gen.Elements(OpCode.GetAcl, OpCode.Sync, OpCode.GetAllChildrenNumber, OpCode.GetEphemerals)
            .SelectMany(op => Text.Select(p => (Request)new PathRequest(op, p))),
        from path in Text
        from acl in Acls
        from version in AnyInt
        select (Request)new SetAclRequest(path, acl, version),
        from path in Text
        from mode in AnyInt
        select (Request)new AddWatchRequest(path, mode),
        from op in Gen.Elements(OpCode.CheckWatches, OpCode.RemoveWatches)
        from path in Text
        from type in AnyInt
        select (Request)new WatchesRequest(op, path, type),
        from joining in Text.OrNull()
        from leaving in Text.OrNull()
        from members in Text.OrNull()
        from id in AnyLong
        select (Request)new ReconfigRequest(joining, leaving, members, id),
        Gen.Elements(OpCode.Ping, OpCode.CloseSession, OpCode.WhoAmI).Select(op => (Request)new EmptyRequest(op)),
        Gen.ListOf(WriteOp).Select(ops => (Request)new MultiRequest(OpCode.Multi, ops.ToList())),
        Gen.ListOf(ReadOp).Select(ops => (Request)new MultiRequest(OpCode.MultiRead, ops.ToList())));

    public static byte[] Encode(Request request) => HandBytes.Encode(request);

    /// <summary>Decodes a body the way the server does, with nothing left over allowed to go unnoticed by the caller.</summary>
    public static Request? Decode(OpCode op, ReadOnlySpan<byte> body, out int consumed)
    {
        var reader = new JuteReader(body);
        var request = RequestDecoder.TryDecode(op, ref reader);
        consumed = reader.Position;
        return request;
    }

    /// <summary>A value-based description: records hold arrays and lists, which record equality compares by reference.</summary>
    public static string Describe(Request r) => r switch
    {
        CreateRequest c => $"{c.Op}({c.PathValue}|{Hex(c.Data)}|{Describe(c.Acl)}|{c.Flags}|{c.Ttl})",
        DeleteRequest d => $"{d.Op}({d.PathValue}|{d.Version})",
        PathWatchRequest p => $"{p.Op}({p.PathValue}|{p.Watch})",
        PathRequest p => $"{p.Op}({p.PathValue})",
        SetDataRequest s => $"{s.Op}({s.PathValue}|{Hex(s.Data)}|{s.Version})",
        SetAclRequest s => $"{s.Op}({s.PathValue}|{Describe(s.Acl)}|{s.Version})",
        CheckVersionRequest c => $"{c.Op}({c.PathValue}|{c.Version})",
        AddWatchRequest a => $"{a.Op}({a.PathValue}|{a.Mode})",
        WatchesRequest w => $"{w.Op}({w.PathValue}|{w.Type})",
        ReconfigRequest c => $"{c.Op}({c.JoiningServers ?? "<null>"}|{c.LeavingServers ?? "<null>"}|{c.NewMembers ?? "<null>"}|{c.CurConfigId})",
        EmptyRequest e => $"{e.Op}()",
        MultiRequest m => $"{m.Op}[{string.Join(";", m.Ops.Select(Describe))}]",
        _ => throw new InvalidOperationException($"no description for {r.GetType().Name}"),
    };

    public static string Describe(IEnumerable<Acl> acl) => "[" + string.Join(",", acl.Select(a => $"{a.Perms}:{a.Id.Scheme}:{a.Id.Ident}")) + "]";

    public static string Hex(byte[]? b) => b is null ? "<null>" : Convert.ToHexString(b);
}
