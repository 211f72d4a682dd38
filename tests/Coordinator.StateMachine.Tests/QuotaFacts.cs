// Quotas in the tree: the stats node follows every create, delete and setData below a quota'd path; hard limits
// refuse writes with QuotaExceeded, soft limits only report; replaying the log or restoring a snapshot keeps it all.
using System.Text;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine.Tests;

public sealed class QuotaFacts
{
    private readonly DataTree _tree = new();
    private readonly List<QuotaWarning> _warnings = [];
    private readonly List<(TxnHeader Header, Txn Txn)> _log = [];
    private readonly Preprocessor _prep;
    private int _cxid;

    public QuotaFacts() => _prep = NewPrep(_tree, enforce: true);

    private Preprocessor NewPrep(DataTree tree, bool enforce) =>
        new(tree, new PrepSettings(EnforceQuota: enforce, QuotaExceeded: _warnings.Add));

    private static readonly RequestSession Client = new(1, [new Id("ip", "127.0.0.1")]);

    private ErrorCode Write(Request request, Preprocessor? prep = null, DataTree? tree = null)
    {
        tree ??= _tree;
        var result = (prep ?? _prep).Prep(Client, request);
        if (result.Txn is null) return result.Err;
        var header = new TxnHeader(1, ++_cxid, tree.LastProcessedZxid + 1, 1_000 + _cxid, result.Type);
        if (tree == _tree) _log.Add((header, result.Txn));
        return tree.Apply(header, result.Txn).Err;
    }

    private ErrorCode Create(string path, string? data = null) =>
        Write(new CreateRequest(OpCode.Create2, path, data is null ? null : Encoding.UTF8.GetBytes(data), [.. Acl.OpenAclUnsafe], 0));

    private ErrorCode SetData(string path, string data) => Write(new SetDataRequest(path, Encoding.UTF8.GetBytes(data), -1));

    private ErrorCode Delete(string path) => Write(new DeleteRequest(OpCode.Delete, path, -1));

    private static string Text(DataTree tree, string path) => Encoding.UTF8.GetString(tree.GetNode(path)!.Data ?? []);

    /// <summary>What zkCli's setquota does: the quota directory, the limits node, then the stats node.</summary>
    private void SetQuota(string path, string limits)
    {
        Assert.Equal(ErrorCode.Ok, Create("/zookeeper/quota" + path));
        Assert.Equal(ErrorCode.Ok, Create(Quotas.LimitsPath(path), limits));
        Assert.Equal(ErrorCode.Ok, Create(Quotas.StatsPath(path), "count=0,bytes=0"));
    }

    [Fact]
    public void Stats_node_starts_from_the_subtree_and_follows_every_write_without_changing_its_version()
    {
        Assert.Equal(ErrorCode.Ok, Create("/q"));
        Assert.Equal(ErrorCode.Ok, Create("/q/a", "abc"));
        Assert.Equal(ErrorCode.Ok, Create("/other", "not counted"));
        SetQuota("/q", "count=10,bytes=-1=;byteHardLimit=-1;countHardLimit=-1");
        Assert.Equal("count=2,bytes=3", Text(_tree, Quotas.StatsPath("/q")));

        Assert.Equal(ErrorCode.Ok, Create("/q/a/deep", "12345"));
        Assert.Equal("count=3,bytes=8", Text(_tree, Quotas.StatsPath("/q")));
        Assert.Equal(ErrorCode.Ok, SetData("/q/a", "x"));
        Assert.Equal("count=3,bytes=6", Text(_tree, Quotas.StatsPath("/q")));
        Assert.Equal(ErrorCode.Ok, Delete("/q/a/deep"));
        Assert.Equal("count=2,bytes=1", Text(_tree, Quotas.StatsPath("/q")));
        Assert.Equal(ErrorCode.Ok, SetData("/other", "still not counted"));
        Assert.Equal("count=2,bytes=1", Text(_tree, Quotas.StatsPath("/q")));

        var stat = _tree.GetNode(Quotas.StatsPath("/q"))!.ToStat();
        Assert.Equal(0, stat.Version);
        Assert.Empty(_warnings);
    }

    [Fact]
    public void Hard_count_limit_refuses_the_create_and_changes_nothing()
    {
        Assert.Equal(ErrorCode.Ok, Create("/q"));
        SetQuota("/q", "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=2");
        Assert.Equal(ErrorCode.Ok, Create("/q/a"));
        long zxid = _tree.LastProcessedZxid;
        Assert.Equal(ErrorCode.QuotaExceeded, Create("/q/b"));
        Assert.Null(_tree.GetNode("/q/b"));
        Assert.Equal(zxid, _tree.LastProcessedZxid);
        Assert.Equal("count=2,bytes=0", Text(_tree, Quotas.StatsPath("/q")));
        var warning = Assert.Single(_warnings);
        Assert.Equal("/q", warning.QuotaPath);
        Assert.Equal(3, warning.Value);
        Assert.Equal(2, warning.Limit);
        // A multi with an op past the limit fails as a whole.
        var multi = new MultiRequest(OpCode.Multi, [new CreateRequest(OpCode.Create, "/q/a/x", null, [.. Acl.OpenAclUnsafe], 0)]);
        var prepared = _prep.Prep(Client, multi);
        var sub = Assert.Single(Assert.IsType<MultiTxn>(prepared.Txn).Txns);
        Assert.Equal((int)ErrorCode.QuotaExceeded, Assert.IsType<ErrorTxn>(sub.Txn).Err);
        // Deleting is always allowed, and makes room again.
        Assert.Equal(ErrorCode.Ok, Delete("/q/a"));
        Assert.Equal(ErrorCode.Ok, Create("/q/b"));
    }

    [Fact]
    public void Hard_bytes_limit_refuses_growth_but_allows_shrinking()
    {
        Assert.Equal(ErrorCode.Ok, Create("/q", "12345"));
        SetQuota("/q", "count=-1,bytes=-1=;byteHardLimit=8;countHardLimit=-1");
        Assert.Equal(ErrorCode.Ok, SetData("/q", "12345678"));
        Assert.Equal(ErrorCode.QuotaExceeded, SetData("/q", "123456789"));
        Assert.Equal(ErrorCode.QuotaExceeded, Create("/q/a", "x"));
        Assert.Equal(ErrorCode.Ok, Create("/q/a"));
        Assert.Equal(ErrorCode.Ok, SetData("/q", "1"));
        Assert.Equal("count=2,bytes=1", Text(_tree, Quotas.StatsPath("/q")));
    }

    [Fact]
    public void Soft_limits_report_and_let_the_write_through()
    {
        Assert.Equal(ErrorCode.Ok, Create("/q"));
        SetQuota("/q", "count=2,bytes=3");
        Assert.Equal(ErrorCode.Ok, Create("/q/a", "abcd"));
        Assert.Equal(ErrorCode.Ok, Create("/q/b"));
        Assert.Equal("count=3,bytes=4", Text(_tree, Quotas.StatsPath("/q")));
        Assert.Contains(_warnings, w => w.Kind == "bytes" && w.Value == 4 && w.Limit == 3);
        Assert.Contains(_warnings, w => w.Kind == "count" && w.Value == 3 && w.Limit == 2);
    }

    [Fact]
    public void Hard_limits_only_report_when_enforcement_is_off()
    {
        var prep = NewPrep(_tree, enforce: false);
        Assert.Equal(ErrorCode.Ok, Create("/q"));
        SetQuota("/q", "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=1");
        Assert.Equal(ErrorCode.Ok, Write(new CreateRequest(OpCode.Create2, "/q/a", null, [.. Acl.OpenAclUnsafe], 0), prep));
        Assert.Single(_warnings);
    }

    [Fact]
    public void Log_replay_and_snapshot_restore_give_the_same_stats_and_keep_them_current()
    {
        Assert.Equal(ErrorCode.Ok, Create("/q"));
        SetQuota("/q", "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3");
        Assert.Equal(ErrorCode.Ok, Create("/q/a", "abc"));
        Assert.Equal(ErrorCode.Ok, SetData("/q", "zz"));

        // Log replay: the same txns on an empty tree.
        var replayed = new DataTree();
        foreach (var (header, txn) in _log) Assert.Equal(ErrorCode.Ok, replayed.Apply(header, txn).Err);
        Assert.Equal(Text(_tree, Quotas.StatsPath("/q")), Text(replayed, Quotas.StatsPath("/q")));

        // Snapshot restore: every node copied in pre-order, as Storage loads a snapshot; no quota index to rebuild.
        var restored = new DataTree();
        var pending = new Stack<string>(["/"]);
        while (pending.TryPop(out string? path))
        {
            var node = _tree.GetNode(path)!;
            var copy = new DataNode(node.Data, node.Acl, node.Czxid, node.Ctime, node.EphemeralOwner)
            {
                Mzxid = node.Mzxid, Mtime = node.Mtime, Version = node.Version, Cversion = node.Cversion,
                Aversion = node.Aversion, Pzxid = node.Pzxid,
            };
            restored.RestoreNode(path, copy);
            foreach (string child in node.Children.Order(StringComparer.Ordinal).Reverse()) pending.Push(PathValidation.Join(path, child));
        }
        restored.RestoreLastProcessedZxid(_tree.LastProcessedZxid);
        Assert.Equal("count=2,bytes=5", Text(restored, Quotas.StatsPath("/q")));
        var prep = NewPrep(restored, enforce: true);
        Assert.Equal(ErrorCode.Ok, Write(new CreateRequest(OpCode.Create2, "/q/b", null, [.. Acl.OpenAclUnsafe], 0), prep, restored));
        Assert.Equal("count=3,bytes=5", Text(restored, Quotas.StatsPath("/q")));
        Assert.Equal(ErrorCode.QuotaExceeded, Write(new CreateRequest(OpCode.Create2, "/q/c", null, [.. Acl.OpenAclUnsafe], 0), prep, restored));
    }

    [Fact]
    public void StatsTrack_text_in_both_spellings()
    {
        var limits = Quotas.ParseLimits(Encoding.UTF8.GetBytes("count=5,bytes=50=;byteHardLimit=100;countHardLimit=9"));
        Assert.Equal(new QuotaLimits(5, 50, 9, 100), limits);
        Assert.Equal(new QuotaLimits(2, -1, -1, -1), Quotas.ParseLimits(Encoding.UTF8.GetBytes("count=2,bytes=-1")));
        Assert.Equal(new QuotaLimits(-1, -1, -1, -1), Quotas.ParseLimits(Encoding.UTF8.GetBytes("garbage")));
        Assert.Equal("/a/b", Quotas.StatsTarget("/zookeeper/quota/a/b/zookeeper_stats"));
        Assert.Null(Quotas.StatsTarget("/a/zookeeper_stats"));
    }
}
