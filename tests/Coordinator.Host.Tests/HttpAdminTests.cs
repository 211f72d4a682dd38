// The admin HTTP API of an in-process host: ZooKeeper 3.8's command list, names, aliases and JSON fields; health; refusals.
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Coordinator.Host.Http;
using Coordinator.Server.Metrics;
using Xunit.Abstractions;
using static Coordinator.Host.Tests.MetricsTestSupport;

namespace Coordinator.Host.Tests;

public sealed class HttpAdminTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>ZooKeeper 3.8's primary command names, as its /commands lists them.</summary>
    public static readonly string[] ZooKeeperCommands =
    [
        "configuration", "connection_stat_reset", "connections", "dirs", "dump", "environment", "get_trace_mask", "hash",
        "initial_configuration", "is_read_only", "last_snapshot", "leader", "monitor", "observer_connection_stat_reset",
        "observers", "ruok", "server_stats", "set_trace_mask", "stat_reset", "stats", "system_properties", "voting_view",
        "watch_summary", "watches", "watches_by_path", "zabstate",
    ];

    private TestHost _host = null!;

    private IPEndPoint Admin => _host.Host.AdminEndPoint ?? throw new InvalidOperationException("admin server is off");

    public async Task InitializeAsync() => _host = await TestHost.StartAsync(output, s => s with { AdminEnableServer = true });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task CommandsListsEveryZooKeeperCommandAsALink()
    {
        foreach (string path in new[] { "/commands", "/commands/" })
        {
            var (status, contentType, body) = await GetAsync(Admin, path);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.StartsWith("text/html", contentType, StringComparison.Ordinal);
            var names = body.Split('\n').Where(l => l.StartsWith("<a href=", StringComparison.Ordinal))
                .Select(l => l[(l.IndexOf('>') + 1)..l.IndexOf("</a>", StringComparison.Ordinal)]).ToList();
            Assert.Equal(ZooKeeperCommands, names);
            Assert.Contains("<a href=\"/commands/monitor\">monitor</a>", body, StringComparison.Ordinal);
        }
    }

    // The fields each command answers besides "command" and "error", from ZooKeeper 3.8's Commands (standalone).
    [Theory]
    [InlineData("configuration", "client_port data_dir data_log_dir tick_time max_client_cnxns min_session_timeout max_session_timeout server_id client_port_listen_backlog")]
    [InlineData("connection_stat_reset", "")]
    [InlineData("connections", "connections secure_connections")]
    [InlineData("dirs", "datadir_size logdir_size")]
    [InlineData("dump", "expiry_time_to_session_ids session_id_to_ephemeral_paths")]
    [InlineData("get_trace_mask", "tracemask")]
    [InlineData("hash", "digests")]
    [InlineData("initial_configuration", "initial_configuration")]
    [InlineData("is_read_only", "read_only")]
    [InlineData("last_snapshot", "zxid timestamp")]
    [InlineData("leader", "")]
    [InlineData("observer_connection_stat_reset", "")]
    [InlineData("observers", "synced_observers observers")]
    [InlineData("ruok", "")]
    [InlineData("server_stats", "version read_only server_stats client_response node_count")]
    [InlineData("set_trace_mask", "")]
    [InlineData("stat_reset", "")]
    [InlineData("stats", "version read_only server_stats client_response node_count connections secure_connections")]
    [InlineData("voting_view", "current_config")]
    [InlineData("watch_summary", "num_connections num_paths num_total_watches")]
    [InlineData("watches", "session_id_to_watched_paths")]
    [InlineData("watches_by_path", "path_to_session_ids")]
    [InlineData("zabstate", "voting zabstate")]
    public async Task EveryCommandAnswersJsonWithZooKeepersFields(string command, string fields)
    {
        var json = await GetJsonAsync(Admin, "/commands/" + command);
        Assert.Equal(command, (string?)json["command"]);
        Assert.True(json.ContainsKey("error"), $"{command}: no error field");
        var expected = fields.Split(' ', StringSplitOptions.RemoveEmptyEntries).Append("command").Append("error").Order(StringComparer.Ordinal);
        Assert.Equal(expected, json.Select(kv => kv.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task CommandsWithoutAFixedFieldSetAnswerTheirFacts()
    {
        var monitor = await GetJsonAsync(Admin, "/commands/monitor");
        foreach (string key in new[] { "version", "server_state", "znode_count", "watch_count", "avg_latency", "num_alive_connections" })
            Assert.True(monitor.ContainsKey(key), $"monitor lacks {key}");
        Assert.Equal("standalone", (string?)monitor["server_state"]);
        Assert.Null(monitor["error"]);
        var environment = await GetJsonAsync(Admin, "/commands/environment");
        foreach (string key in new[] { "zookeeper.version", "host.name", "java.version", "os.name", "user.dir", "os.memory.total" })
            Assert.True(environment.ContainsKey(key), $"environment lacks {key}");
        var properties = await GetJsonAsync(Admin, "/commands/system_properties");
        var keys = properties.Select(kv => kv.Key).Where(k => k is not ("command" or "error")).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.NotEmpty(keys);
    }

    [Theory]
    [InlineData("conf", "configuration")]
    [InlineData("config", "configuration")]
    [InlineData("cons", "connections")]
    [InlineData("crst", "connection_stat_reset")]
    [InlineData("envi", "environment")]
    [InlineData("env", "environment")]
    [InlineData("gtmk", "get_trace_mask")]
    [InlineData("icfg", "initial_configuration")]
    [InlineData("isro", "is_read_only")]
    [InlineData("lsnp", "last_snapshot")]
    [InlineData("lead", "leader")]
    [InlineData("mntr", "monitor")]
    [InlineData("orst", "observer_connection_stat_reset")]
    [InlineData("obsr", "observers")]
    [InlineData("srvr", "server_stats")]
    [InlineData("stat", "stats")]
    [InlineData("srst", "stat_reset")]
    [InlineData("sysp", "system_properties")]
    [InlineData("wchc", "watches")]
    [InlineData("wchp", "watches_by_path")]
    [InlineData("wchs", "watch_summary")]
    public async Task AliasesAnswerAsTheirCommand(string alias, string command)
    {
        var json = await GetJsonAsync(Admin, "/commands/" + alias);
        Assert.Equal(command, (string?)json["command"]);
        Assert.Equal(AdminCommands.PrimaryNameOf(alias), command);
    }

    [Fact]
    public async Task UnknownCommandAnswersZooKeepersError()
    {
        var json = await GetJsonAsync(Admin, "/commands/nosuch");
        Assert.Equal(["command", "error"], json.Select(kv => kv.Key));
        Assert.Equal("nosuch", (string?)json["command"]);
        Assert.Equal("Unknown command: nosuch", (string?)json["error"]);
    }

    [Fact]
    public async Task StandaloneAnswersTheEnsembleCommandsAsZooKeeperDoes()
    {
        var leader = await GetJsonAsync(Admin, "/commands/leader");
        Assert.Equal("server is not initialized", (string?)leader["error"]);
        Assert.Equal(["error", "command"], leader.Select(kv => kv.Key));
        var zab = await GetJsonAsync(Admin, "/commands/zabstate");
        Assert.False((bool)zab["voting"]!);
        Assert.Equal("", (string?)zab["zabstate"]);
        Assert.Empty((JsonObject)(await GetJsonAsync(Admin, "/commands/voting_view"))["current_config"]!);
        Assert.False((bool)(await GetJsonAsync(Admin, "/commands/is_read_only"))["read_only"]!);
    }

    [Fact]
    public async Task LastSnapshotNamesTheNewestSnapshotFile()
    {
        string folder = Path.Combine(_host.Host.Server.Settings.DataDir, "version-2");
        var newest = Directory.Exists(folder)
            ? Directory.GetFiles(folder, "snapshot.*").Select(f => Convert.ToInt64(Path.GetFileName(f).Split('.')[1], 16)).DefaultIfEmpty(-1).Max()
            : -1;
        var snapshot = await GetJsonAsync(Admin, "/commands/last_snapshot");
        Assert.Equal(newest.ToString("x", System.Globalization.CultureInfo.InvariantCulture), (string?)snapshot["zxid"]);
        long timestamp = (long)snapshot["timestamp"]!;
        if (newest >= 0) Assert.InRange(timestamp, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        else Assert.Equal(-1, timestamp);
    }

    [Fact]
    public async Task StateCommandsShowTheSessionItsEphemeralAndItsWatches()
    {
        string prefix = "/admin-" + Guid.NewGuid().ToString("N");
        await using var client = await BuildStateAsync(_host.EndPoint, prefix, children: 3);
        long session = client.SessionId;

        var connections = (JsonArray)(await GetJsonAsync(Admin, "/commands/connections"))["connections"]!;
        var mine = connections.OfType<JsonObject>().Single(c => (long)c["session_id"]! == session);
        Assert.Equal(client.SessionId, (long)mine["session_id"]!);
        Assert.Equal(30_000, (long)mine["session_timeout"]!);
        Assert.True((long)mine["packets_received"]! >= 6, mine.ToJsonString());
        Assert.Equal("GETC", (string?)mine["last_operation"]);
        Assert.StartsWith("127.0.0.1:", (string?)mine["remote_socket_address"], StringComparison.Ordinal);

        var dump = await GetJsonAsync(Admin, "/commands/dump");
        var ephemerals = (JsonObject)dump["session_id_to_ephemeral_paths"]!;
        Assert.Equal([prefix + "/e"], ((JsonArray)ephemerals[session.ToString(System.Globalization.CultureInfo.InvariantCulture)]!).Select(p => (string?)p));
        Assert.Contains(((JsonObject)dump["expiry_time_to_session_ids"]!).SelectMany(kv => (JsonArray)kv.Value!), id => (long)id! == session);

        var byPath = (JsonObject)(await GetJsonAsync(Admin, "/commands/watches_by_path"))["path_to_session_ids"]!;
        Assert.Equal([session], ((JsonArray)byPath[prefix]!).Select(id => (long)id!));
        var bySession = (JsonObject)(await GetJsonAsync(Admin, "/commands/watches"))["session_id_to_watched_paths"]!;
        Assert.Contains(prefix, ((JsonArray)bySession[session.ToString(System.Globalization.CultureInfo.InvariantCulture)]!).Select(p => (string?)p));
        var summary = await GetJsonAsync(Admin, "/commands/watch_summary");
        Assert.True((long)summary["num_total_watches"]! >= 1);

        var stats = await GetJsonAsync(Admin, "/commands/stats");
        Assert.Equal(_host.Host.Server.LastZxid, (long)stats["server_stats"]!["last_processed_zxid"]!);
        var brief = ((JsonArray)stats["connections"]!).OfType<JsonObject>().First();
        Assert.Equal(["interest_ops", "outstanding_requests", "packets_received", "packets_sent", "remote_socket_address"],
            brief.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        var digests = (JsonArray)(await GetJsonAsync(Admin, "/commands/hash"))["digests"]!;
        Assert.Equal(_host.Host.Server.LastZxid, (long)digests[0]!["zxid"]!);
    }

    [Fact]
    public async Task ResetCommandsZeroTheCounters()
    {
        await using (var client = await TestClient.ConnectAsync(_host.EndPoint))
        {
            await client.ExistsAsync("/");
            var before = await GetJsonAsync(Admin, "/commands/srvr");
            Assert.True((long)before["server_stats"]!["packets_received"]! > 0);
            await GetJsonAsync(Admin, "/commands/srst");
            await GetJsonAsync(Admin, "/commands/crst");
            var after = await GetJsonAsync(Admin, "/commands/srvr");
            Assert.Equal(0, (long)after["server_stats"]!["packets_received"]!);
            var connection = ((JsonArray)(await GetJsonAsync(Admin, "/commands/cons"))["connections"]!).OfType<JsonObject>()
                .Single(c => (long)c["session_id"]! == client.SessionId);
            Assert.Equal(0, (long)connection["packets_received"]!);
        }
    }

    [Fact]
    public async Task SetTraceMaskChecksItsArgumentAsZooKeeperDoes()
    {
        var missing = await GetJsonAsync(Admin, "/commands/set_trace_mask");
        Assert.Equal("setTraceMask requires long traceMask argument", (string?)missing["error"]);
        var bad = await GetJsonAsync(Admin, "/commands/stmk?traceMask=abc");
        Assert.Equal("setTraceMask requires long traceMask argument, got abc", (string?)bad["error"]);
        Assert.Equal(FourLetterWordsDefaultMask, (long)(await GetJsonAsync(Admin, "/commands/gtmk"))["tracemask"]!);
    }

    private const long FourLetterWordsDefaultMask = Coordinator.Server.FourLetterWords.DefaultTraceMask;

    [Fact]
    public async Task SetTraceMaskSharesTheMaskWithTheFourLetterWords()
    {
        await using var host = await TestHost.StartAsync(output, s => s with
        {
            AdminEnableServer = true,
            FourLetterWordWhitelist = new HashSet<string>(["*"], StringComparer.Ordinal),
        });
        var admin = host.Host.AdminEndPoint!;
        var set = await GetJsonAsync(admin, "/commands/set_trace_mask?traceMask=42");
        Assert.Equal(42, (long)set["tracemask"]!);
        Assert.Null(set["error"]);
        Assert.Equal("42", await TestClient.FourLetterWordAsync(host.EndPoint, "gtmk"));
    }

    [Fact]
    public async Task HealthIsLiveAndReadyWhileServing()
    {
        var (live, _, liveBody) = await GetAsync(Admin, "/health/live");
        Assert.Equal(HttpStatusCode.OK, live);
        Assert.Equal("live", (string?)JsonNode.Parse(liveBody)!["status"]);
        var (ready, _, readyBody) = await GetAsync(Admin, "/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.Equal("ready", (string?)JsonNode.Parse(readyBody)!["status"]);
    }

    [Fact]
    public async Task OtherPathsAndMethodsAreRefused()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(Admin, "/nope")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(Admin, "/metrics")).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await GetAsync(Admin, "/commands/ruok", HttpMethod.Post)).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await GetAsync(Admin, "/health/ready", HttpMethod.Delete)).Status);
        Assert.Empty(_host.LoggedErrors);
    }

    [Fact]
    public async Task AdminServerCanBeDisabled()
    {
        await using var host = await TestHost.StartAsync(output, s => s with { AdminEnableServer = false });
        Assert.Null(host.Host.AdminEndPoint);
        Assert.NotNull(host.Host.MetricsEndPoint);
    }

    [Fact]
    public async Task APortInUseStopsTheStartWithTheSettingsName()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var e = await Assert.ThrowsAsync<HttpEndpointException>(() =>
            TestHost.StartAsync(output, s => s with { AdminEnableServer = true, AdminServerPort = port }));
        Assert.Contains("admin.serverAddress/serverPort", e.Message, StringComparison.Ordinal);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }
}
