// Test helper: builds txns the way ZooKeeper's preprocessor would (parent cversion, sequence names), applies and records them.
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

/// <summary>
/// Each call makes one txn against the current tree, applies it to <see cref="Tree"/> and keeps the logged form
/// (with the tree digest after it, as ZooKeeper 3.6+ logs it). Zxids and times count up from fixed values so
/// runs are reproducible.
/// </summary>
internal sealed class TxnScript
{
    public static readonly IReadOnlyList<Acl> Open = Acl.OpenAclUnsafe;
    public static readonly IReadOnlyList<Acl> ReadOnly = [new((int)Perms.Read, Id.AnyoneIdUnsafe)];
    public static readonly IReadOnlyList<Acl> Digest =
        [new((int)Perms.All, new Id("digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=")), new((int)Perms.Read, Id.AnyoneIdUnsafe)];

    private long _zxid;
    private long _time;

    public TxnScript(long firstZxid = 1, long startTimeMs = 1_795_000_000_000)
    {
        _zxid = firstZxid - 1;
        _time = startTimeMs;
    }

    public DataTree Tree { get; } = new();

    public List<TxnEntry> Entries { get; } = [];

    public long LastZxid => _zxid;

    public TxnEntry CreateSession(long session, int timeoutMs = 30000) =>
        Add(session, OpCode.CreateSession, new CreateSessionTxn(timeoutMs));

    public TxnEntry CloseSession(long session) =>
        Add(session, OpCode.CloseSession, new CloseSessionTxn(Tree.EphemeralsOf(session).Order(StringComparer.Ordinal).ToList()));

    public TxnEntry Create(long session, string path, byte[]? data, IReadOnlyList<Acl>? acl = null, bool ephemeral = false) =>
        Add(session, OpCode.Create, CreateTxnFor(path, data, acl ?? Open, ephemeral));

    /// <summary>A sequential create: the name gets the parent's cversion as a ten-digit suffix, as in ZooKeeper.</summary>
    public string CreateSequential(long session, string prefix, byte[]? data, bool ephemeral = false)
    {
        var parent = Tree.GetNode(Parent(prefix + "x"))!;
        string path = prefix + parent.Cversion.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
        Add(session, OpCode.Create2, CreateTxnFor(path, data, Open, ephemeral));
        return path;
    }

    public TxnEntry CreateContainer(long session, string path, byte[]? data) =>
        Add(session, OpCode.CreateContainer, new CreateContainerTxn(path, data, Open, ParentCVersion(path)));

    public TxnEntry CreateTtl(long session, string path, byte[]? data, long ttlMs) =>
        Add(session, OpCode.CreateTtl, new CreateTtlTxn(path, data, Open, ParentCVersion(path), ttlMs));

    public TxnEntry SetData(long session, string path, byte[]? data) =>
        Add(session, OpCode.SetData, new SetDataTxn(path, data, Tree.GetNode(path)!.Version + 1));

    public TxnEntry SetAcl(long session, string path, IReadOnlyList<Acl> acl) =>
        Add(session, OpCode.SetAcl, new SetAclTxn(path, acl, Tree.GetNode(path)!.Aversion + 1));

    public TxnEntry Delete(long session, string path) => Add(session, OpCode.Delete, new DeleteTxn(path));

    public TxnEntry Error(long session, int err) => Add(session, OpCode.Error, new ErrorTxn(err));

    /// <summary>A committed multi: create, setData and check, in ZooKeeper's logged form.</summary>
    public TxnEntry Multi(long session, string createPath, string setPath, byte[] data)
    {
        var subs = new List<SubTxn>
        {
            new((int)OpCode.Create, CreateTxnFor(createPath, data, Open, false)),
            new((int)OpCode.SetData, new SetDataTxn(setPath, data, Tree.GetNode(setPath)!.Version + 1)),
            new((int)OpCode.Check, new CheckVersionTxn(setPath, Tree.GetNode(setPath)!.Version + 1)),
        };
        return Add(session, OpCode.Multi, new MultiTxn(subs));
    }

    /// <summary>A failed multi: the sub-txns before the failure stay, the failure is an ErrorTxn (NoNode).</summary>
    public TxnEntry FailedMulti(long session, string createPath) =>
        Add(session, OpCode.Multi, new MultiTxn([
            new((int)OpCode.Create, CreateTxnFor(createPath, [1], Open, false)),
            new((int)OpCode.Error, new ErrorTxn(-101)),
        ]));

    private CreateTxn CreateTxnFor(string path, byte[]? data, IReadOnlyList<Acl> acl, bool ephemeral) =>
        new(path, data, acl, ephemeral, ParentCVersion(path));

    private int ParentCVersion(string path) => Tree.GetNode(Parent(path))!.Cversion + 1;

    private static string Parent(string path)
    {
        int i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    private TxnEntry Add(long session, OpCode type, Txn txn)
    {
        _zxid++;
        _time += 7;
        var header = new TxnHeader(session, Entries.Count, _zxid, _time, (int)type);
        Tree.Apply(header, txn);
        var entry = new TxnEntry(header, txn, type == OpCode.Error ? null : new TxnDigest(TreeDigest.Version, TreeDigest.Of(Tree)));
        Entries.Add(entry);
        return entry;
    }

    /// <summary>A tree with one of everything: ACL kinds, ephemerals of a live session, sequentials, a container, a TTL node, null data.</summary>
    public static TxnScript Everything(int extraNodes = 20)
    {
        var s = new TxnScript();
        const long alice = 0x1000016091f0000, bob = 0x1000016091f0001;
        s.CreateSession(alice);
        s.Create(alice, "/a", "hello"u8.ToArray());
        s.Create(alice, "/a/b", []);
        s.Create(alice, "/a/nulldata", null);
        s.Create(alice, "/acl", "x"u8.ToArray(), Digest);
        s.Create(alice, "/ip", "y"u8.ToArray(), [new((int)Perms.All, new Id("ip", "127.0.0.1"))]);
        s.Create(alice, "/seq", []);
        s.CreateSequential(alice, "/seq/s-", "1"u8.ToArray());
        s.CreateSequential(alice, "/seq/s-", "2"u8.ToArray());
        s.Create(alice, "/eph", "e"u8.ToArray(), ephemeral: true);
        s.CreateContainer(alice, "/cont", []);
        s.Create(alice, "/cont/child", "c"u8.ToArray());
        s.CreateTtl(alice, "/ttl", "t"u8.ToArray(), 3_600_000);
        s.SetData(alice, "/a", "world"u8.ToArray());
        s.SetAcl(alice, "/ip", Open);
        s.Create(alice, "/del", "d"u8.ToArray());
        s.Delete(alice, "/del");
        s.Error(alice, -101);
        s.Multi(alice, "/m1", "/a", "multi"u8.ToArray());
        s.FailedMulti(alice, "/m2");
        s.CreateSession(bob, 10000);
        s.Create(bob, "/eph2", [], ephemeral: true);
        s.CloseSession(bob);
        s.Create(alice, "/binary", [0, 1, 2, 255, 254]);
        s.Create(alice, "/many", []);
        for (int i = 0; i < extraNodes; i++) s.Create(alice, $"/many/n{i:D2}", Enumerable.Repeat((byte)i, i).ToArray());
        return s;
    }
}
