// Four-letter word output: ZooKeeper 3.8's layouts, key names and values that follow the node's state.
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.Server.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coordinator.Server.Tests;

public sealed class FourLetterWordTests : IAsyncLifetime
{
    private const string Version = "3.8.0-coordinator-test, built on 2024-01-01 00:00 UTC";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly IReadOnlySet<string> Everything = new HashSet<string> { "*" };

    private readonly string _dataDir = Directory.CreateTempSubdirectory("4lw-tests-").FullName;
    private readonly List<ServerNode> _nodes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    private (ServerNode Node, FourLetterWords Words) Start(IReadOnlySet<string>? whitelist = null, TimeProvider? time = null)
    {
        var settings = ServerSettings.Default with { FourLetterWordWhitelist = whitelist ?? Everything, DataDir = _dataDir };
        var node = new ServerNode(settings, NullLogger<ServerNode>.Instance, time);
        node.Start();
        _nodes.Add(node);
        return (node, new FourLetterWords(node, () => new FourLetterWordContext("127.0.0.1", 2181, Version)));
    }

    private static Task<string> Run(FourLetterWords words, string word) => words.RunAsync(word, CancellationToken.None).WaitAsync(Timeout);

    /// <summary>mntr parsed the way exporters parse it: every line "key TAB value", in order.</summary>
    private static async Task<List<(string Key, string Value)>> MntrLines(FourLetterWords words)
    {
        var text = await Run(words, "mntr");
        Assert.EndsWith("\n", text);
        var lines = text[..^1].Split('\n');
        Assert.All(lines, line => Assert.Matches(@"^zk_[a-z_]+\t[^\t\n]+$", line));
        return [.. lines.Select(l => l.Split('\t')).Select(p => (p[0], p[1]))];
    }

    private static async Task<Dictionary<string, string>> Mntr(FourLetterWords words) =>
        (await MntrLines(words)).ToDictionary(p => p.Key, p => p.Value);

    private static long Num(Dictionary<string, string> m, string key) => long.Parse(m[key], CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_word_outside_the_whitelist_gets_ZooKeepers_refusal_and_nothing_else()
    {
        var (_, words) = Start(new HashSet<string> { "srvr" });
        Assert.Equal("mntr is not executed because it is not in the whitelist.\n", await Run(words, "mntr"));
        Assert.Equal("ruok is not executed because it is not in the whitelist.\n", await Run(words, "ruok"));
        Assert.Equal("stmk is not executed because it is not in the whitelist.\n", await Run(words, "stmk"));
        Assert.StartsWith("Zookeeper version: ", await Run(words, "srvr"));
    }

    [Fact]
    public async Task Ruok_isro_and_the_trace_mask_words_answer_without_a_newline()
    {
        var (_, words) = Start();
        Assert.Equal("imok", await Run(words, "ruok"));
        Assert.Equal("rw", await Run(words, "isro"));
        Assert.Equal("306", await Run(words, "gtmk"));
        Assert.Equal(8, FourLetterWords.ArgumentBytes("stmk"));
        Assert.Equal(0, FourLetterWords.ArgumentBytes("gtmk"));
        Assert.Equal("", await Run(words, "stmk"));
        byte[] mask = [0, 0, 0, 0, 0, 0, 0x01, 0xFF];
        Assert.Equal("511", await words.RunAsync("stmk", mask, CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal("511", await Run(words, "gtmk"));
    }

    [Fact]
    public async Task Mntr_prints_ZooKeepers_gauges_in_its_order_as_key_tab_value()
    {
        var (_, words) = Start();
        var lines = await MntrLines(words);
        var m = lines.ToDictionary(p => p.Key, p => p.Value);
        string[] expected =
        [
            "zk_version", "zk_server_state", "zk_ephemerals_count", "zk_num_alive_connections", "zk_avg_latency",
            "zk_outstanding_requests", "zk_znode_count", "zk_global_sessions", "zk_non_mtls_remote_conn_count",
            "zk_last_client_response_size", "zk_packets_sent", "zk_packets_received", "zk_max_client_response_size",
            "zk_connection_drop_probability", "zk_watch_count", "zk_auth_failed_count", "zk_min_latency",
            "zk_max_file_descriptor_count", "zk_approximate_data_size", "zk_open_file_descriptor_count",
            "zk_local_sessions", "zk_uptime", "zk_max_latency", "zk_outstanding_tls_handshake",
            "zk_min_client_response_size", "zk_non_mtls_local_conn_count",
            "zk_avg_fsynctime", "zk_min_fsynctime", "zk_max_fsynctime", "zk_cnt_fsynctime", "zk_sum_fsynctime",
        ];
        if (!OperatingSystem.IsLinux()) expected = [.. expected.Where(k => !k.EndsWith("file_descriptor_count", StringComparison.Ordinal))];
        Assert.Equal(expected, lines.Select(p => p.Key));
        Assert.Equal(Version, m["zk_version"]);
        Assert.Equal("standalone", m["zk_server_state"]);
        Assert.Equal("0.0", m["zk_avg_latency"]);
        Assert.Equal("0.0", m["zk_connection_drop_probability"]);
        Assert.Equal("0.0", m["zk_avg_fsynctime"]);
        foreach (var key in expected.Skip(2).Where(k => k is not ("zk_avg_latency" or "zk_connection_drop_probability" or "zk_avg_fsynctime")))
            Assert.True(long.TryParse(m[key], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _), key);
        Assert.Equal(4, Num(m, "zk_znode_count"));
        if (OperatingSystem.IsLinux())
        {
            Assert.InRange(Num(m, "zk_open_file_descriptor_count"), 3, 1_000_000);
            Assert.True(Num(m, "zk_max_file_descriptor_count") is -1 or >= 64);
        }
    }

    [Fact]
    public async Task Mntr_values_follow_the_tree_sessions_and_watches()
    {
        var (node, words) = Start();
        var before = await Mntr(words);
        var client = await NodeClient.ConnectAsync(node, 1);
        for (int i = 0; i < 10; i++) await client.CreateAsync($"/n{i}", "data"u8.ToArray());
        await client.CreateAsync("/eph", [], CreateMode.Ephemeral);
        await client.GetDataAsync("/n0", watch: true);
        await client.GetChildrenAsync("/", watch: true);
        var after = await Mntr(words);

        Assert.Equal(11, Num(after, "zk_znode_count") - Num(before, "zk_znode_count"));
        Assert.Equal(1, Num(after, "zk_ephemerals_count") - Num(before, "zk_ephemerals_count"));
        Assert.Equal(1, Num(after, "zk_num_alive_connections") - Num(before, "zk_num_alive_connections"));
        Assert.Equal(1, Num(after, "zk_global_sessions") - Num(before, "zk_global_sessions"));
        Assert.Equal(2, Num(after, "zk_watch_count") - Num(before, "zk_watch_count"));
        long expectedBytes = Enumerable.Range(0, 10).Sum(i => $"/n{i}".Length + 4) + "/eph".Length;
        Assert.Equal(expectedBytes, Num(after, "zk_approximate_data_size") - Num(before, "zk_approximate_data_size"));
        Assert.Equal(13, Num(after, "zk_packets_received") - Num(before, "zk_packets_received"));
        Assert.Equal(14, Num(after, "zk_packets_sent"));  // the connect response and 13 replies
        Assert.True(double.TryParse(after["zk_avg_latency"], NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        Assert.True(Num(after, "zk_max_latency") >= Num(after, "zk_min_latency"));
    }

    private static readonly Regex SrvrLayout = new(
        @"^Zookeeper version: (?<v>.+)\n(?<clients>Clients:\n(?: .+\n)*\n)?Latency min/avg/max: (?<min>\d+)/(?<avg>\d+\.\d+(?:E-?\d+)?)/(?<max>\d+)\n" +
        @"Received: (?<recv>\d+)\nSent: (?<sent>\d+)\nConnections: (?<conns>\d+)\nOutstanding: (?<out>\d+)\n" +
        @"Zxid: 0x(?<zxid>[0-9a-f]+)\nMode: (?<mode>standalone)\nNode count: (?<nodes>\d+)\n$");

    [Fact]
    public async Task Srvr_and_stat_have_the_lines_monitoring_scripts_read()
    {
        var (node, words) = Start();
        var empty = SrvrLayout.Match(await Run(words, "srvr"));
        Assert.True(empty.Success);
        Assert.Equal("0/0.0/0", $"{empty.Groups["min"]}/{empty.Groups["avg"]}/{empty.Groups["max"]}");

        var client = await NodeClient.ConnectAsync(node, 1);
        for (int i = 0; i < 5; i++) await client.CreateAsync($"/s{i}", []);
        var srvr = SrvrLayout.Match(await Run(words, "srvr"));
        Assert.True(srvr.Success);
        Assert.False(srvr.Groups["clients"].Success);
        Assert.Equal(Version, srvr.Groups["v"].Value);
        Assert.Equal(node.LastZxid.ToString("x", CultureInfo.InvariantCulture), srvr.Groups["zxid"].Value);
        Assert.Equal("6", srvr.Groups["zxid"].Value);  // createSession, then five creates
        Assert.Equal(int.Parse(empty.Groups["nodes"].Value, CultureInfo.InvariantCulture) + 5, int.Parse(srvr.Groups["nodes"].Value, CultureInfo.InvariantCulture));
        Assert.Equal("5", srvr.Groups["recv"].Value);
        Assert.Equal("6", srvr.Groups["sent"].Value);
        Assert.Equal("1", srvr.Groups["conns"].Value);

        var stat = SrvrLayout.Match(await Run(words, "stat"));
        Assert.True(stat.Success);
        Assert.Equal("Clients:\n /127.0.0.1:40001[1](queued=0,recved=5,sent=6)\n\n", stat.Groups["clients"].Value);
    }

    private static readonly Regex ConsLine = new(
        @"^ /127\.0\.0\.1:(?<port>\d+)\[1\]\(queued=0,recved=(?<recv>\d+),sent=(?<sent>\d+),sid=0x(?<sid>[0-9a-f]+)," +
        @"lop=(?<lop>[A-Z]+),est=(?<est>\d+),to=(?<to>\d+),(?:lcxid=0x(?<lcxid>[0-9a-f]+),)?lzxid=0x(?<lzxid>[0-9a-f]+)," +
        @"lresp=(?<lresp>\d+),llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)$");

    [Fact]
    public async Task Cons_lists_each_session_and_crst_zeroes_its_counters()
    {
        var (node, words) = Start();
        Assert.Equal("\n", await Run(words, "cons"));
        var a = await NodeClient.ConnectAsync(node, 1);
        var b = await NodeClient.ConnectAsync(node, 2);
        await a.CreateAsync("/c", []);
        await b.GetDataAsync("/c", watch: false);

        var cons = await Run(words, "cons");
        Assert.EndsWith(")\n\n", cons);
        var lines = cons[..^2].Split('\n').Select(l => ConsLine.Match(l)).ToList();
        Assert.All(lines, m => Assert.True(m.Success));
        Assert.Equal(new[] { "40001", "40002" }, lines.Select(m => m.Groups["port"].Value));
        Assert.Equal(a.SessionId.ToString("x", CultureInfo.InvariantCulture), lines[0].Groups["sid"].Value);
        Assert.Equal(new[] { "CREA", "GETD" }, lines.Select(m => m.Groups["lop"].Value));
        Assert.Equal("1", lines[0].Groups["lcxid"].Value);
        Assert.Equal(node.LastZxid.ToString("x", CultureInfo.InvariantCulture), lines[0].Groups["lzxid"].Value);
        Assert.Equal(("1", "2"), (lines[0].Groups["recv"].Value, lines[0].Groups["sent"].Value));
        Assert.Equal("30000", lines[0].Groups["to"].Value);
        Assert.NotEqual("0", lines[0].Groups["lresp"].Value);

        Assert.Equal("Connection stats reset.\n", await Run(words, "crst"));
        var reset = ConsLine.Match((await Run(words, "cons")).Split('\n')[0]);
        Assert.True(reset.Success);
        Assert.Equal(("0", "0", "NA", "ffffffffffffffff", "0"), (reset.Groups["recv"].Value, reset.Groups["sent"].Value,
            reset.Groups["lop"].Value, reset.Groups["lzxid"].Value, reset.Groups["lresp"].Value));
        Assert.False(reset.Groups["lcxid"].Success);

        await a.GetDataAsync("/c", watch: false);
        var again = ConsLine.Match((await Run(words, "cons")).Split('\n')[0]);
        Assert.Equal(("1", "1", "GETD"), (again.Groups["recv"].Value, again.Groups["sent"].Value, again.Groups["lop"].Value));
    }

    [Fact]
    public async Task Srst_zeroes_the_server_counters()
    {
        var (node, words) = Start();
        var client = await NodeClient.ConnectAsync(node, 1);
        await client.CreateAsync("/r", []);
        Assert.Equal("1", SrvrLayout.Match(await Run(words, "srvr")).Groups["recv"].Value);
        Assert.Equal("Server stats reset.\n", await Run(words, "srst"));
        var srvr = SrvrLayout.Match(await Run(words, "srvr"));
        Assert.Equal(("0", "0/0.0/0"), (srvr.Groups["recv"].Value, $"{srvr.Groups["min"]}/{srvr.Groups["avg"]}/{srvr.Groups["max"]}"));
    }

    [Fact]
    public async Task Watch_words_summarise_and_list_data_watches_by_session_and_by_path()
    {
        var (node, words) = Start();
        Assert.Equal("0 connections watching 0 paths\nTotal watches:0\n", await Run(words, "wchs"));
        Assert.Equal("\n", await Run(words, "wchc"));
        var a = await NodeClient.ConnectAsync(node, 1);
        var b = await NodeClient.ConnectAsync(node, 2);
        await a.CreateAsync("/w", []);
        await a.GetDataAsync("/w", watch: true);
        await a.GetChildrenAsync("/", watch: true);
        await b.GetDataAsync("/w", watch: true);
        await b.ExistsAsync("/missing", watch: true);

        Assert.Equal("2 connections watching 2 paths\nTotal watches:3\n", await Run(words, "wchs"));
        Assert.True(a.SessionId < b.SessionId);  // ids are handed out in connect order
        Assert.Equal($"0x{a.SessionId:x}\n\t/w\n0x{b.SessionId:x}\n\t/missing\n\t/w\n\n", await Run(words, "wchc"));
        Assert.Equal($"/missing\n\t0x{b.SessionId:x}\n/w\n\t0x{a.SessionId:x}\n\t0x{b.SessionId:x}\n\n", await Run(words, "wchp"));
        Assert.Equal("4", (await Mntr(words))["zk_watch_count"]);
    }

    [Fact]
    public async Task Dump_groups_sessions_by_expiry_and_lists_their_ephemerals()
    {
        var (node, words) = Start();
        Assert.Equal("SessionTracker dump:\nSession Sets (0)/(0):\nephemeral nodes dump:\nSessions with Ephemerals (0):\nConnections dump:\n",
            await Run(words, "dump"));
        var a = await NodeClient.ConnectAsync(node, 1);
        var b = await NodeClient.ConnectAsync(node, 2);
        await a.CreateAsync("/ea", [], CreateMode.Ephemeral);
        await b.CreateAsync("/eb1", [], CreateMode.Ephemeral);
        await b.CreateAsync("/eb2", [], CreateMode.Ephemeral);

        var dump = await Run(words, "dump");
        var layout = Regex.Match(dump,
            @"^SessionTracker dump:\nSession Sets \((?<sets>\d+)\)/\(2\):\n(?<buckets>(?:\d+ expire at [A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4}:\n(?:\t0x[0-9a-f]+\n)+)+)" +
            @"ephemeral nodes dump:\nSessions with Ephemerals \(2\):\n(?<eph>(?:0x[0-9a-f]+:\n(?:\t/.+\n)+)+)Connections dump:\n$");
        Assert.True(layout.Success, dump);
        Assert.Contains($"\t0x{a.SessionId:x}\n", layout.Groups["buckets"].Value);
        Assert.Contains($"\t0x{b.SessionId:x}\n", layout.Groups["buckets"].Value);
        Assert.Contains($"0x{a.SessionId:x}:\n\t/ea\n", layout.Groups["eph"].Value);
        Assert.Contains($"0x{b.SessionId:x}:\n\t/eb1\n\t/eb2\n", layout.Groups["eph"].Value);
    }

    [Fact]
    public async Task Conf_and_dirs_report_settings_and_storage_sizes()
    {
        var (node, words) = Start();
        Directory.CreateDirectory(Path.Combine(_dataDir, "version-2"));
        await File.WriteAllBytesAsync(Path.Combine(_dataDir, "version-2", "log.1"), new byte[1234]);
        Assert.Equal("datadir_size: 1234\nlogdir_size: 1234\n", await Run(words, "dirs"));
        var conf = await Run(words, "conf");
        Assert.Equal(node.Settings.ToConfText(1234, 1234), conf);
        Assert.Contains("dataDirSize=1234\n", conf);
        Assert.StartsWith("clientPort=", conf);
    }

    [Fact]
    public async Task Envi_prints_the_java_keys_with_dotnet_values_and_adds_dotnet_keys()
    {
        var (_, words) = Start();
        var envi = await Run(words, "envi");
        Assert.StartsWith("Environment:\n", envi);
        var pairs = envi["Environment:\n".Length..].TrimEnd('\n').Split('\n').Select(l => l.Split('=', 2)).ToList();
        Assert.All(pairs, p => Assert.Equal(2, p.Length));
        var keys = pairs.Select(p => p[0]).ToList();
        string[] javaKeys =
        [
            "zookeeper.version", "host.name", "java.version", "java.vendor", "java.home", "java.class.path", "java.library.path",
            "java.io.tmpdir", "java.compiler", "os.name", "os.arch", "os.version", "user.name", "user.home", "user.dir",
            "os.memory.free", "os.memory.max", "os.memory.total",
        ];
        Assert.Equal(javaKeys, keys.Take(javaKeys.Length));
        var values = pairs.ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(Version, values["zookeeper.version"]);
        Assert.Equal(Environment.Version.ToString(), values["dotnet.version"]);
        Assert.Contains("dotnet.framework", keys);
        foreach (var key in new[] { "os.memory.free", "os.memory.max", "os.memory.total" }) Assert.Matches(@"^\d+MB$", values[key]);
        if (OperatingSystem.IsLinux()) Assert.Equal("Linux", values["os.name"]);
    }

    /// <summary>
    /// Digests computed with ZooKeeper 3.8's algorithm for the same trees (the algorithm was checked against a
    /// running 3.8 server, whose `hash` printed the same number for a 380-node tree).
    /// </summary>
    [Fact]
    public async Task Hash_prints_ZooKeepers_digest_of_the_tree_at_the_last_zxid()
    {
        var (node, words) = Start(time: new FixedTime(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000)));
        Assert.Equal("0: 1371985504\n", await Run(words, "hash"));
        var client = await NodeClient.ConnectAsync(node, 1);
        await client.CreateAsync("/a", "x"u8.ToArray());
        Assert.Equal("2: 2889769415\n", await Run(words, "hash"));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
