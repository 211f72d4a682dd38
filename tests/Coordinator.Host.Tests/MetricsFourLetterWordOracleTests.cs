// Four-letter words next to Apache ZooKeeper 3.8's for the same state: mntr's keys and order, srvr/stat/conf/cons/wchs layout, moving values.
//
// A regression test for the words' formats (matched when they were written): each word is parsed the way
// monitoring tools parse it (mntr "key\tvalue", srvr "Label: value", conf "key=value", cons "k=v" lists) and the
// shapes must agree. Values that depend on the state are compared as deltas: the same operations on both
// servers must move them by the same amount.
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using static Coordinator.Host.Tests.MetricsTestSupport;

namespace Coordinator.Host.Tests;

[Collection(MetricsApacheZooKeeperCollection.Name)]
public sealed partial class MetricsFourLetterWordOracleTests(MetricsApacheZooKeeper zooKeeper, ITestOutputHelper output) : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await TestHost.StartAsync(output, s => s with { FourLetterWordWhitelist = new HashSet<string>(["*"], StringComparer.Ordinal) });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task MntrHasZooKeepersServerKeysInItsOrderAndMovesAlike()
    {
        var zkBefore = Pairs(await Word(zooKeeper.ClientEndPoint, "mntr"), '\t');
        var ourBefore = Pairs(await Word(_host.EndPoint, "mntr"), '\t');
        string prefix = "/oracle-mntr-" + Guid.NewGuid().ToString("N");
        await using var theirs = await BuildStateAsync(zooKeeper.ClientEndPoint, prefix, children: 100);
        await using var ours = await BuildStateAsync(_host.EndPoint, prefix, children: 100);
        var zkAfter = Pairs(await Word(zooKeeper.ClientEndPoint, "mntr"), '\t');
        var ourAfter = Pairs(await Word(_host.EndPoint, "mntr"), '\t');

        // ZooKeeper prints its server gauges, then its metrics registry; ours prints the server gauges, then the
        // one registry summary it keeps (fsynctime), under ZooKeeper's names.
        var zkKeys = zkAfter.Select(p => p.Key).ToList();
        int gauges = zkKeys.IndexOf("zk_non_mtls_local_conn_count") + 1;
        Assert.Equal(zkKeys.Take(gauges), ourAfter.Select(p => p.Key).Take(gauges));
        Assert.All(ourAfter.Skip(gauges), p => Assert.Contains(p.Key, zkKeys.Skip(gauges)));
        Assert.Contains(ourAfter, p => p.Key == "zk_cnt_fsynctime");
        Assert.True(Delta(zkBefore, zkAfter, "zk_cnt_fsynctime") > 0 && Delta(ourBefore, ourAfter, "zk_cnt_fsynctime") > 0,
            "both servers fsync their logs for the writes");
        Assert.Equal(Get(zkAfter, "zk_server_state"), Get(ourAfter, "zk_server_state"));
        foreach (string key in new[] { "zk_znode_count", "zk_ephemerals_count", "zk_watch_count", "zk_global_sessions", "zk_approximate_data_size" })
        {
            Assert.True(Delta(zkBefore, zkAfter, key) == Delta(ourBefore, ourAfter, key),
                $"{key} moved by {Delta(zkBefore, zkAfter, key)} on ZooKeeper and {Delta(ourBefore, ourAfter, key)} here");
        }
        Assert.Equal(102, Delta(ourBefore, ourAfter, "zk_znode_count"));
    }

    [Theory]
    [InlineData("srvr")]
    [InlineData("stat")]
    public async Task SrvrAndStatHaveZooKeepersLayout(string word)
    {
        string prefix = "/oracle-" + word + "-" + Guid.NewGuid().ToString("N");
        var zkBefore = Labels(await Word(zooKeeper.ClientEndPoint, word));
        var ourBefore = Labels(await Word(_host.EndPoint, word));
        await using var theirs = await BuildStateAsync(zooKeeper.ClientEndPoint, prefix, children: 10);
        await using var ours = await BuildStateAsync(_host.EndPoint, prefix, children: 10);
        string zkText = await Word(zooKeeper.ClientEndPoint, word);
        string ourText = await Word(_host.EndPoint, word);
        var zk = Labels(zkText);
        var us = Labels(ourText);
        Assert.Equal(zk.Select(l => l.Label), us.Select(l => l.Label));
        Assert.Equal(Value(zk, "Mode"), Value(us, "Mode"));
        Assert.Equal(Delta(zkBefore, zk, "Node count"), Delta(ourBefore, us, "Node count"));
        Assert.Equal(Delta(zkBefore, zk, "Zxid"), Delta(ourBefore, us, "Zxid"));
        Assert.Matches(LatencyLine(), ourText);
        if (word == "stat")
        {
            // ZooKeeper also lists the connection asking; each client line has the brief cons layout.
            foreach (string text in new[] { zkText, ourText })
            {
                var clients = text.Split('\n').SkipWhile(l => l != "Clients:").Skip(1).TakeWhile(l => l.Length > 0).ToList();
                Assert.NotEmpty(clients);
                Assert.All(clients, c => Assert.Matches(BriefClientLine(), c));
            }
        }
    }

    [Fact]
    public async Task ConsListsZooKeepersFieldsForASession()
    {
        string prefix = "/oracle-cons-" + Guid.NewGuid().ToString("N");
        await using var theirs = await BuildStateAsync(zooKeeper.ClientEndPoint, prefix, children: 2);
        await using var ours = await BuildStateAsync(_host.EndPoint, prefix, children: 2);
        var zkFields = SessionLineFields(await Word(zooKeeper.ClientEndPoint, "cons"));
        var ourFields = SessionLineFields(await Word(_host.EndPoint, "cons"));
        Assert.Equal(zkFields, ourFields);
    }

    [Fact]
    public async Task ConfHasZooKeepersKeysAndValuesForTheSameSettings()
    {
        var zk = Pairs(await Word(zooKeeper.ClientEndPoint, "conf"), '=');
        var us = Pairs(await Word(_host.EndPoint, "conf"), '=');
        Assert.Equal(zk.Select(p => p.Key), us.Select(p => p.Key));
        foreach (string key in new[] { "secureClientPort", "tickTime", "maxClientCnxns", "minSessionTimeout", "maxSessionTimeout", "clientPortListenBacklog", "serverId" })
            Assert.Equal(Get(zk, key), Get(us, key));
        Assert.EndsWith("/version-2", Get(us, "dataDir"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ruok")]
    [InlineData("isro")]
    public async Task FixedAnswersAreZooKeepers(string word) =>
        Assert.Equal(await Word(zooKeeper.ClientEndPoint, word), await Word(_host.EndPoint, word));

    [Theory]
    [InlineData("wchs")]
    [InlineData("dirs")]
    [InlineData("envi")]
    public async Task OtherWordsHaveZooKeepersShape(string word)
    {
        string zk = await Word(zooKeeper.ClientEndPoint, word);
        string us = await Word(_host.EndPoint, word);
        switch (word)
        {
            case "wchs":
                Assert.Matches(WchsText(), zk);
                Assert.Matches(WchsText(), us);
                break;
            case "dirs":
                Assert.Equal(Labels(zk).Select(l => l.Label), Labels(us).Select(l => l.Label));
                break;
            default:
                // envi: ZooKeeper's Java keys, each present with the .NET equivalent's value.
                var ourKeys = Pairs(us, '=').Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
                Assert.All(Pairs(zk, '=').Select(p => p.Key), k => Assert.Contains(k, ourKeys));
                Assert.StartsWith("Environment:\n", us, StringComparison.Ordinal);
                break;
        }
    }

    private static Task<string> Word(System.Net.IPEndPoint endPoint, string word) => TestClient.FourLetterWordAsync(endPoint, word);

    private static List<KeyValuePair<string, string>> Pairs(string text, char separator) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains(separator))
            .Select(l => new KeyValuePair<string, string>(l[..l.IndexOf(separator)], l[(l.IndexOf(separator) + 1)..])).ToList();

    private static string Get(List<KeyValuePair<string, string>> pairs, string key) => pairs.Single(p => p.Key == key).Value;

    private static long Delta(List<KeyValuePair<string, string>> before, List<KeyValuePair<string, string>> after, string key) =>
        long.Parse(Get(after, key), System.Globalization.CultureInfo.InvariantCulture) - long.Parse(Get(before, key), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>srvr/stat/dirs lines "Label: value" (client lines and blank lines are not labels).</summary>
    private static List<(string Label, string Value)> Labels(string text) =>
        text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith(' ') && l.Contains(':'))
            .Select(l => (l[..l.IndexOf(':')], l[(l.IndexOf(':') + 1)..].Trim())).ToList();

    private static string Value(List<(string Label, string Value)> labels, string label) => labels.Single(l => l.Label == label).Value;

    private static long Delta(List<(string Label, string Value)> before, List<(string Label, string Value)> after, string label) =>
        ParseNumber(Value(after, label)) - ParseNumber(Value(before, label));

    private static long ParseNumber(string text) => text.StartsWith("0x", StringComparison.Ordinal)
        ? Convert.ToInt64(text[2..], 16)
        : long.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The field names of the cons line of the connection holding a session (the one with sid=).</summary>
    private static List<string> SessionLineFields(string cons)
    {
        string line = cons.Split('\n').First(l => l.Contains("sid=", StringComparison.Ordinal));
        string inside = line[(line.IndexOf("](", StringComparison.Ordinal) + 2)..line.LastIndexOf(')')];
        return inside.Split(',').Select(f => f[..f.IndexOf('=')]).ToList();
    }

    [GeneratedRegex(@"Latency min/avg/max: \d+/\d+\.\d+/\d+\n")]
    private static partial Regex LatencyLine();

    [GeneratedRegex(@"^ /[0-9.]+:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+\)$")]
    private static partial Regex BriefClientLine();

    [GeneratedRegex(@"^\d+ connections watching \d+ paths\nTotal watches:\d+\n$")]
    private static partial Regex WchsText();
}
