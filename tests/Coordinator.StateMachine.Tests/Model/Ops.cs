// The client operations the property tests generate, the outcomes both the model and the real tree report, printed readably.
using System.Globalization;
using System.Text;
using Coordinator.Core;
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine.Tests.Model;

/// <summary>
/// One client request from session slot <see cref="Session"/> (0 = alice, 1 = bob, 2 = anonymous).
/// A path may hold a sequential reference "prefix#k": the k-th existing sequential child with that prefix,
/// resolved against the tree just before the op runs (see <see cref="ScenarioPaths"/>).
/// </summary>
public abstract record Op(int Session)
{
    public abstract Op MapPaths(Func<string, string> map);

    protected static string P(string path) => ScenarioPaths.Show(path);

    protected string S => "s" + Session.ToString(CultureInfo.InvariantCulture);
}

/// <summary>create/create2/createContainer/createTTL. <see cref="Flags"/> is the wire CreateMode flag, possibly invalid.</summary>
public sealed record CreateOp(int Session, string Path, string? Data, int Flags, AclChoice Acl, long Ttl = -1, bool Plain = false) : Op(Session)
{
    /// <summary>
    /// The opcode a client uses for the mode: createContainer, createTTL (also when a ttl is given with another mode, which
    /// ZooKeeper rejects), else create2, or create when <see cref="Plain"/>. Mismatched opcode and mode are not generated.
    /// </summary>
    public Jute.OpCode Code => Flags == (int)CreateMode.Container ? Jute.OpCode.CreateContainer
        : Flags is (int)CreateMode.PersistentWithTtl or (int)CreateMode.PersistentSequentialWithTtl || Ttl != -1 ? Jute.OpCode.CreateTtl
        : Plain ? Jute.OpCode.Create : Jute.OpCode.Create2;

    /// <summary>Only createTTL carries a ttl on the wire; every other create sends none (-1).</summary>
    public long EffectiveTtl => Code == Jute.OpCode.CreateTtl ? Ttl : -1;

    public override Op MapPaths(Func<string, string> map) => this with { Path = map(Path) };

    public override string ToString()
    {
        string mode = Flags is >= 0 and <= 6 ? ((CreateMode)Flags).ToString() : $"flag{Flags}";
        string ttl = Code == Jute.OpCode.CreateTtl ? $" ttl={Ttl}" : "";
        return $"{S} {Code.ToString().ToLowerInvariant()} {P(Path)} {OpData.Show(Data)} {mode} {Acl}{ttl}";
    }
}

public sealed record DeleteOp(int Session, string Path, int Version) : Op(Session)
{
    public override Op MapPaths(Func<string, string> map) => this with { Path = map(Path) };

    public override string ToString() => $"{S} delete {P(Path)} v={Version}";
}

public sealed record SetDataOp(int Session, string Path, string? Data, int Version) : Op(Session)
{
    public override Op MapPaths(Func<string, string> map) => this with { Path = map(Path) };

    public override string ToString() => $"{S} setData {P(Path)} {OpData.Show(Data)} v={Version}";
}

public sealed record SetAclOp(int Session, string Path, AclChoice Acl, int Version) : Op(Session)
{
    public override Op MapPaths(Func<string, string> map) => this with { Path = map(Path) };

    public override string ToString() => $"{S} setACL {P(Path)} {Acl} v={Version}";
}

/// <summary>check: only generated inside a multi, as clients send it.</summary>
public sealed record CheckOp(int Session, string Path, int Version) : Op(Session)
{
    public override Op MapPaths(Func<string, string> map) => this with { Path = map(Path) };

    public override string ToString() => $"check {P(Path)} v={Version}";
}

public sealed record MultiOp(int Session, IReadOnlyList<Op> Ops) : Op(Session)
{
    public override Op MapPaths(Func<string, string> map) => this with { Ops = Ops.Select(o => o.MapPaths(map)).ToList() };

    public override string ToString() =>
        $"{S} multi [{string.Join("; ", Ops.Select(o => o.ToString()!.Replace(S + " ", "", StringComparison.Ordinal)))}]";
}

/// <summary>The session closes (or expires): its ephemerals go, its watches go, and the slot gets a fresh session.</summary>
public sealed record CloseSessionOp(int Session) : Op(Session)
{
    public override Op MapPaths(Func<string, string> map) => this;

    public override string ToString() => $"{S} closeSession";
}

public enum ReadKind { GetData, Exists, GetChildren }

public sealed record ReadOp(int Session, ReadKind Kind, string Path, bool Watch) : Op(Session)
{
    public override Op MapPaths(Func<string, string> map) => this with { Path = map(Path) };

    public override string ToString() => $"{S} {Kind.ToString()[..1].ToLowerInvariant()}{Kind.ToString()[1..]} {P(Path)}{(Watch ? " watch" : "")}";
}

public sealed record AddWatchOp(int Session, string Path, bool Recursive) : Op(Session)
{
    public override Op MapPaths(Func<string, string> map) => this with { Path = map(Path) };

    public override string ToString() => $"{S} addWatch {P(Path)} {(Recursive ? "PERSISTENT_RECURSIVE" : "PERSISTENT")}";
}

/// <summary>The ACLs a request may carry. Some are valid, some ZooKeeper rejects with InvalidACL.</summary>
public enum AclChoice
{
    Open,
    WorldRead,
    Creator,
    AliceAll,
    AliceAllWorldRead,
    WorldNoDelete,
    WorldCreateDelete,
    Duplicated,
    Empty,
    DigestNoHash,
    DigestTwoColons,
    WorldNobody,
    UnknownScheme,
}

/// <summary>The three session slots, their digest identities and the ACL lists behind each <see cref="AclChoice"/>.</summary>
public static class Identities
{
    public const int Slots = 3;

    public static readonly Id Alice = new("digest", Security.DigestAuth.Generate("alice:secret"));
    public static readonly Id Bob = new("digest", Security.DigestAuth.Generate("bob:secret"));

    /// <summary>Every ZooKeeper connection also carries its ip as an id; it must not count for the "auth" scheme.</summary>
    public static readonly Id Ip = new("ip", "127.0.0.1");

    public static IReadOnlyList<Id> AuthOf(int slot) => slot switch
    {
        0 => [Ip, Alice],
        1 => [Ip, Bob],
        _ => [Ip],
    };

    /// <summary>Session ids: a slot's generation changes when its session closes, so ids are never reused.</summary>
    public static long SessionId(int slot, int generation) => 0x1000_0000_0000L + (slot << 16) + generation;

    private static Acl World(int perms) => new(perms, Id.AnyoneIdUnsafe);

    public static List<Acl> AclList(AclChoice choice) => choice switch
    {
        AclChoice.Open => [World(31)],
        AclChoice.WorldRead => [World(1)],
        AclChoice.Creator => [new Acl(31, new Id("auth", ""))],
        AclChoice.AliceAll => [new Acl(31, Alice)],
        AclChoice.AliceAllWorldRead => [new Acl(31, Alice), World(1)],
        AclChoice.WorldNoDelete => [World(31 & ~(int)Perms.Delete)],
        AclChoice.WorldCreateDelete => [World((int)(Perms.Create | Perms.Delete))],
        AclChoice.Duplicated => [World(31), World(31)],
        AclChoice.Empty => [],
        AclChoice.DigestNoHash => [new Acl(31, new Id("digest", "alice:"))],
        AclChoice.DigestTwoColons => [new Acl(31, new Id("digest", "alice:x:y"))],
        AclChoice.WorldNobody => [new Acl(31, new Id("world", "nobody"))],
        AclChoice.UnknownScheme => [new Acl(31, new Id("sasl", "alice"))],
        _ => throw new ArgumentOutOfRangeException(nameof(choice)),
    };
}

/// <summary>What a request produced, as a client would see it. Compared by its canonical text.</summary>
public sealed record Outcome(
    ErrorCode Err,
    string? Path = null,
    Stat? Stat = null,
    IReadOnlyList<Outcome>? Multi = null,
    string? Data = null,
    IReadOnlyList<string>? Children = null)
{
    public override string ToString()
    {
        var b = new StringBuilder(Err.ToString());
        if (Path is not null) b.Append(" path=").Append(ScenarioPaths.Show(Path));
        if (Stat is { } s) b.Append(" stat=").Append(StatText(s));
        if (Data is not null) b.Append(" data=").Append(Data);
        if (Children is not null) b.Append(" children=[").Append(string.Join(",", Children.Order(StringComparer.Ordinal))).Append(']');
        if (Multi is not null) b.Append(" multi=[").Append(string.Join("; ", Multi)).Append(']');
        return b.ToString();
    }

    public static string StatText(Stat s) => string.Create(CultureInfo.InvariantCulture,
        $"{{czxid={s.Czxid} mzxid={s.Mzxid} pzxid={s.Pzxid} ctime={s.Ctime} mtime={s.Mtime} version={s.Version} " +
        $"cversion={s.Cversion} aversion={s.Aversion} owner=0x{s.EphemeralOwner:x} dataLength={s.DataLength} numChildren={s.NumChildren}}}");
}

/// <summary>Znode data in ops and outcomes: null stays distinct from empty, as ZooKeeper keeps it.</summary>
public static class OpData
{
    public static byte[]? Bytes(string? data) => data is null ? null : Encoding.UTF8.GetBytes(data);

    public static string Show(string? data) => data is null ? "null" : "'" + data + "'";

    public static string Show(byte[]? data) => Show(data is null ? null : Encoding.UTF8.GetString(data));
}

/// <summary>A change one applied txn made to the tree, in the order it happened: what watches fire on.</summary>
public enum ChangeKind { Created, Deleted, DataChanged }

/// <summary>
/// One change, with the ACLs of the node and of its parent at that moment: ZooKeeper (3.8.4+, and Debian's patched
/// 3.8.0) drops a notification when the watching session may not READ the node the event is about (CVE-2024-23944).
/// </summary>
public readonly record struct Change(ChangeKind Kind, string Path, IReadOnlyList<Acl> NodeAcl, IReadOnlyList<Acl> ParentAcl);
