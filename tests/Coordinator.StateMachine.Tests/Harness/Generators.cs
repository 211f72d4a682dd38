// FsCheck generators for op sequences over a small path universe, and a shrinker that cuts them down to a short, readable failure.
using System.Globalization;
using Coordinator.Core;
using Coordinator.StateMachine.Tests.Model;
using FsCheck;
using FsCheck.Fluent;

namespace Coordinator.StateMachine.Tests.Harness;

/// <summary>A generated op sequence; printed one numbered op per line.</summary>
public sealed record Scenario(IReadOnlyList<Op> Ops)
{
    public override string ToString() => Environment.NewLine + string.Join(Environment.NewLine,
        Ops.Select((op, i) => "  #" + i.ToString(CultureInfo.InvariantCulture) + " " + op));
}

/// <summary>How often each kind of op appears; the watch scenarios read and watch more.</summary>
public sealed record OpMix(int Create, int Delete, int SetData, int SetAcl, int Multi, int Read, int AddWatch, int Close, double WatchChance)
{
    public static readonly OpMix Tree = new(Create: 30, Delete: 18, SetData: 14, SetAcl: 6, Multi: 12, Read: 8, AddWatch: 2, Close: 3, WatchChance: 0.3);
    public static readonly OpMix Watches = new(Create: 28, Delete: 12, SetData: 14, SetAcl: 2, Multi: 6, Read: 26, AddWatch: 9, Close: 3, WatchChance: 0.85);
}

public static class Generators
{
    public const int MinOps = 50;
    public const int MaxOps = 200;


    /// <summary>Shallow paths more often than deep ones, so the tree stays dense enough for most ops to find their node.</summary>
    private static Gen<string> UserPath => Freq(
        (4, Gen.Elements("/a", "/x")), (3, Gen.Elements("/a/b", "/x/y")), (1, Gen.Elements("/a/b/c", "/zookeeper/q")));

    /// <summary>The root and ZooKeeper's own nodes: they exist from the start, and some refuse deletes or writes.</summary>
    private static readonly string[] SystemPaths = ["/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"];

    /// <summary>Rare create targets: a child of the read-only /zookeeper/config, a deep path, the root and other existing nodes.</summary>
    private static readonly string[] OddCreatePaths = ["/zookeeper/config/x", "/a/b/c/d", "/", "/zookeeper", "/zookeeper/quota"];

    /// <summary>Sequential prefixes: a child name prefix under /a, bare numbers under /x, and one under the root.</summary>
    private static readonly string[] SeqPrefixes = ["/a/s-", "/x/", "/s"];

    private static readonly string[] InvalidPaths = ["", "a", "/a/", "/a//b", "/.", "/a/..", "/a/./b", "/a\0b", "/x/\u0001", "zookeeper"];

    private static readonly string?[] Datas = ["", "v", "data", "xyz!", null];

    private static readonly AclChoice[] RareAcls = Enum.GetValues<AclChoice>().Where(a => a != AclChoice.Open).ToArray();

    private static Gen<T> Freq<T>(params (int Weight, Gen<T> Gen)[] choices) => Gen.Frequency(choices.Where(c => c.Weight > 0).ToArray());

    private static Gen<bool> Chance(double p) => Gen.Choose(0, 999).Select(n => n < p * 1000);

    private static Gen<int> Session => Gen.Choose(0, Identities.Slots - 1);

    private static Gen<string?> Data => Gen.Elements(Datas);

    private static Gen<int> Version => Freq((10, Gen.Constant(-1)), (6, Gen.Constant(0)), (4, Gen.Constant(1)), (2, Gen.Constant(2)), (1, Gen.Constant(7)));

    private static Gen<AclChoice> Acl => Freq((30, Gen.Constant(AclChoice.Open)), (RareAcls.Length, Gen.Elements(RareAcls)));

    private static Gen<string> SeqRef => Gen.Elements(SeqPrefixes).SelectMany(p => Gen.Choose(0, 3), (p, k) => p + ScenarioPaths.RefMark + k.ToString(CultureInfo.InvariantCulture));

    /// <summary>A path naming a node that may exist: a literal, a sequential child, rarely an invalid path.</summary>
    private static Gen<string> TargetPath(bool allowInvalid) => Freq(
        (20, UserPath),
        (3, Gen.Elements(SystemPaths)),
        (8, SeqRef),
        (allowInvalid ? 1 : 0, Gen.Elements(InvalidPaths)));

    private static Gen<int> Mode => Freq(
        (8, Gen.Constant((int)CreateMode.Persistent)),
        (5, Gen.Constant((int)CreateMode.Ephemeral)),
        (5, Gen.Constant((int)CreateMode.PersistentSequential)),
        (3, Gen.Constant((int)CreateMode.EphemeralSequential)),
        (3, Gen.Constant((int)CreateMode.Container)),
        (2, Gen.Constant((int)CreateMode.PersistentWithTtl)),
        (2, Gen.Constant((int)CreateMode.PersistentSequentialWithTtl)),
        (1, Gen.Elements(7, -1)));

    private static bool IsSequential(int flags) => flags is (int)CreateMode.PersistentSequential
        or (int)CreateMode.EphemeralSequential or (int)CreateMode.PersistentSequentialWithTtl;

    private static bool IsTtl(int flags) => flags is (int)CreateMode.PersistentWithTtl or (int)CreateMode.PersistentSequentialWithTtl;

    /// <summary>A TTL node gets a ttl, mostly valid; other modes mostly none, sometimes one (which ZooKeeper rejects).</summary>
    private static Gen<long> TtlFor(int flags) => IsTtl(flags)
        ? Freq((8, Gen.Constant(1000L)), (1, Gen.Elements(0L, -1L, 1L, ModelRules.TtlMax, ModelRules.TtlMax + 1)))
        : flags == (int)CreateMode.Container ? Gen.Constant(-1L)
        : Freq((20, Gen.Constant(-1L)), (1, Gen.Constant(1000L)));

    private static Gen<string> CreatePathFor(int flags) => IsSequential(flags)
        ? Freq((16, Gen.Elements(SeqPrefixes)), (3, UserPath), (1, Gen.Elements(OddCreatePaths)), (1, Gen.Elements(InvalidPaths)))
        : Freq((24, UserPath), (2, Gen.Elements(OddCreatePaths)), (2, Gen.Elements(SeqPrefixes)), (1, SeqRef), (1, Gen.Elements(InvalidPaths)));

    private static Gen<Op> Create(int session) =>
        from flags in Mode
        from path in CreatePathFor(flags)
        from data in Data
        from acl in Acl
        from ttl in TtlFor(flags)
        from plain in Chance(0.2)
        select (Op)new CreateOp(session, path, data, flags, acl, ttl, plain);

    /// <summary>
    /// Inside a multi ZooKeeper 3.8 rebuilds each create from its flags (MultiOperationRecord), so a createTTL with a
    /// non-TTL mode becomes a plain create there; no client sends that, and the state machine rejects it, so it is not generated.
    /// </summary>
    private static Gen<Op> CreateInMulti(int session) => Create(session).Select(op =>
        op is CreateOp c && c.Code == Jute.OpCode.CreateTtl && !IsTtl(c.Flags) ? c with { Ttl = -1 } : op);

    private static Gen<Op> Delete(int session) =>
        from path in TargetPath(allowInvalid: true)
        from version in Version
        select (Op)new DeleteOp(session, path, version);

    private static Gen<Op> SetData(int session) =>
        from path in TargetPath(allowInvalid: true)
        from data in Data
        from version in Version
        select (Op)new SetDataOp(session, path, data, version);

    private static Gen<Op> SetAcl(int session) =>
        from path in TargetPath(allowInvalid: true)
        from acl in Acl
        from version in Version
        select (Op)new SetAclOp(session, path, acl, version);

    private static Gen<Op> CheckVersion(int session) =>
        from path in TargetPath(allowInvalid: true)
        from version in Version
        select (Op)new CheckOp(session, path, version);

    /// <summary>
    /// 0 to 5 sub-ops. Mostly ops likely to succeed (user paths, any version), so that whole multis commit often,
    /// mixed with the fully random ops that make them fail part-way.
    /// </summary>
    private static Gen<Op> Multi(int session) =>
        from count in Freq((1, Gen.Constant(0)), (30, Gen.Choose(1, 5)))
        from ops in Gen.ListOf(Freq((3, LikelyOk(session)), (1, CreateInMulti(session)), (1, Delete(session)), (1, SetData(session)), (1, CheckVersion(session))), count)
        select (Op)new MultiOp(session, ops.ToList());

    /// <summary>Ops on the nodes most likely to exist: sequential creates, and setData, check or delete of /a, /x and their children.</summary>
    private static Gen<Op> LikelyOk(int session) =>
        from kind in Gen.Choose(0, 9)
        from path in Freq((4, Gen.Elements("/a", "/x")), (1, UserPath), (1, SeqRef))
        from prefix in Gen.Elements(SeqPrefixes)
        from data in Data
        select kind switch
        {
            < 4 => (Op)new CreateOp(session, prefix, data, (int)CreateMode.PersistentSequential, AclChoice.Open),
            4 => new CreateOp(session, path, data, (int)CreateMode.Persistent, AclChoice.Open),
            5 => new DeleteOp(session, path, -1),
            < 8 => new SetDataOp(session, path, data, -1),
            _ => new CheckOp(session, path, -1),
        };

    private static Gen<Op> Read(int session, double watchChance) =>
        from kind in Gen.Elements(ReadKind.GetData, ReadKind.Exists, ReadKind.GetChildren)
        from path in TargetPath(allowInvalid: false)
        from watch in Chance(watchChance)
        select (Op)new ReadOp(session, kind, path, watch);

    private static Gen<Op> AddWatch(int session) =>
        from path in Freq((3, Gen.Elements("/", "/a", "/x")), (4, TargetPath(allowInvalid: false)))
        from recursive in Chance(0.5)
        select (Op)new AddWatchOp(session, path, recursive);

    public static Gen<Op> OneOp(OpMix mix) => Session.SelectMany(s => Freq(
        (mix.Create, Create(s)),
        (mix.Delete, Delete(s)),
        (mix.SetData, SetData(s)),
        (mix.SetAcl, SetAcl(s)),
        (mix.Multi, Multi(s)),
        (mix.Read, Read(s, mix.WatchChance)),
        (mix.AddWatch, AddWatch(s)),
        (mix.Close, Gen.Constant((Op)new CloseSessionOp(s)))));

    public static Gen<Scenario> Scenarios(OpMix mix) =>
        from count in Gen.Choose(MinOps, MaxOps)
        from ops in Gen.ListOf(OneOp(mix), count)
        select new Scenario(ops.ToList());

    public static Arbitrary<Scenario> Arbitrary(OpMix mix) => Arb.From(Scenarios(mix), Shrink);

    /// <summary>Drops halves, quarters, ... down to single ops, then sub-ops of multis: a failure shrinks to the few ops that matter.</summary>
    public static IEnumerable<Scenario> Shrink(Scenario scenario)
    {
        var ops = scenario.Ops;
        for (int chunk = Math.Max(1, ops.Count / 2); chunk >= 1; chunk /= 2)
        {
            for (int start = 0; start + chunk <= ops.Count; start += chunk)
                yield return new Scenario([.. ops.Take(start), .. ops.Skip(start + chunk)]);
            if (chunk == 1) break;
        }
        for (int i = 0; i < ops.Count; i++)
        {
            if (ops[i] is not MultiOp { Ops.Count: > 0 } multi) continue;
            for (int j = 0; j < multi.Ops.Count; j++)
            {
                var smaller = multi with { Ops = [.. multi.Ops.Take(j), .. multi.Ops.Skip(j + 1)] };
                yield return new Scenario([.. ops.Take(i), smaller, .. ops.Skip(i + 1)]);
            }
        }
    }
}
