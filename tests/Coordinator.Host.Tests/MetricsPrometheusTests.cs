// GET /metrics parsed by the reference Prometheus parser (python3-prometheus-client): ZooKeeper's names and types, values that move with the state.
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using static Coordinator.Host.Tests.MetricsTestSupport;

namespace Coordinator.Host.Tests;

public sealed class MetricsPrometheusTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>
    /// ZooKeeper 3.8's Prometheus families a standalone server exports and their types, from its source:
    /// ZooKeeperServer.registerMetrics (gauges; packets_* are gauges there) and ServerMetrics (summaries).
    /// </summary>
    private static readonly Dictionary<string, string> ZooKeeperTypes = new(StringComparer.Ordinal)
    {
        ["avg_latency"] = "gauge", ["max_latency"] = "gauge", ["min_latency"] = "gauge",
        ["packets_received"] = "gauge", ["packets_sent"] = "gauge", ["num_alive_connections"] = "gauge",
        ["outstanding_requests"] = "gauge", ["uptime"] = "gauge", ["znode_count"] = "gauge", ["watch_count"] = "gauge",
        ["ephemerals_count"] = "gauge", ["approximate_data_size"] = "gauge", ["global_sessions"] = "gauge",
        ["local_sessions"] = "gauge", ["open_file_descriptor_count"] = "gauge", ["max_file_descriptor_count"] = "gauge",
        ["connection_drop_probability"] = "gauge", ["last_client_response_size"] = "gauge",
        ["max_client_response_size"] = "gauge", ["min_client_response_size"] = "gauge",
        ["outstanding_tls_handshake"] = "gauge", ["auth_failed_count"] = "gauge",
        ["non_mtls_remote_conn_count"] = "gauge", ["non_mtls_local_conn_count"] = "gauge",
        ["readlatency"] = "summary", ["updatelatency"] = "summary", ["fsynctime"] = "summary", ["election_time"] = "summary",
    };

    /// <summary>ZooKeeper registers these only as part of an ensemble; a standalone server has none of them.</summary>
    private static readonly string[] QuorumOnly =
        ["quorum_size", "learners", "synced_followers", "synced_non_voting_followers", "synced_observers", "pending_syncs", "leader_uptime"];

    /// <summary>The quantiles ZooKeeper's summaries carry: ADVANCED detail for the latencies, BASIC for the rest.</summary>
    private static readonly Dictionary<string, string[]> Quantiles = new(StringComparer.Ordinal)
    {
        ["readlatency"] = ["0.5", "0.9", "0.99"], ["updatelatency"] = ["0.5", "0.9", "0.99"],
        ["fsynctime"] = ["0.5"], ["election_time"] = ["0.5"],
    };

    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync(output);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ExpositionParsesWithZooKeepersNamesAndTypes()
    {
        var (contentType, families) = await ScrapeAsync(_host.Host.MetricsEndPoint);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", contentType);
        foreach (var (name, type) in ZooKeeperTypes)
        {
            if (!OperatingSystem.IsLinux() && name.EndsWith("file_descriptor_count", StringComparison.Ordinal)) continue;
            Assert.True(families.TryGetValue(name, out var family), $"/metrics lacks {name}");
            Assert.Equal(type, family.Type);
        }
        foreach (string name in QuorumOnly) Assert.False(families.ContainsKey(name), $"a standalone server exports {name}");
        foreach (var (name, quantiles) in Quantiles)
        {
            var samples = families[name].Samples;
            Assert.Equal(quantiles, samples.Where(s => s.Name == name).Select(s => s.Labels["quantile"]));
            Assert.Single(samples, s => s.Name == name + "_count");
            Assert.Single(samples, s => s.Name == name + "_sum");
        }
        // The JVM's process and runtime families, from .NET.
        foreach (string name in new[] { "process_start_time_seconds", "process_resident_memory_bytes", "process_virtual_memory_bytes" })
            Assert.Equal("gauge", families[name].Type);
        Assert.Equal("counter", families["process_cpu_seconds"].Type);
        Assert.Equal("counter", families["dotnet_gc_collections"].Type);
        Assert.Contains(families["dotnet_gc_collections"].Samples, s => s.Labels.ContainsKey("gc_heap_generation"));
        Assert.Equal("gauge", families["dotnet_process_memory_working_set_bytes"].Type);
        Assert.Equal("gauge", families["dotnet_thread_pool_queue_length"].Type);
    }

    [Fact]
    public async Task ValuesMoveWithTheState()
    {
        var endPoint = _host.Host.MetricsEndPoint;
        var (_, before) = await ScrapeAsync(endPoint);
        await using var client = await TestClient.ConnectAsync(_host.EndPoint);
        string prefix = "/metrics-" + Guid.NewGuid().ToString("N");
        Ok(await client.CreateAsync(prefix, []));
        for (int i = 0; i < 100; i++) Ok(await client.CreateAsync($"{prefix}/n{i:D3}", [1, 2, 3]));
        for (int i = 0; i < 10; i++) Ok(await client.GetDataAsync(prefix));
        Ok(await client.CreateAsync(prefix + "/eph", [], flags: 1));
        var (_, after) = await ScrapeAsync(endPoint);

        Assert.Equal(Value(before, "znode_count") + 102, Value(after, "znode_count"));
        Assert.Equal(Value(before, "ephemerals_count") + 1, Value(after, "ephemerals_count"));
        Assert.Equal(Value(before, "global_sessions") + 1, Value(after, "global_sessions"));
        Assert.Equal(Value(before, "num_alive_connections") + 1, Value(after, "num_alive_connections"));
        Assert.True(Value(after, "approximate_data_size") >= Value(before, "approximate_data_size") + 300);
        Assert.True(Value(after, "packets_received") >= Value(before, "packets_received") + 112);
        // One update per create (and the session's creation); one read per getData.
        Assert.True(Value(after, "updatelatency_count") >= Value(before, "updatelatency_count") + 102);
        Assert.Equal(Value(before, "readlatency_count") + 10, Value(after, "readlatency_count"));
        var median = after["updatelatency"].Samples.Single(s => s.Name == "updatelatency" && s.Labels["quantile"] == "0.5");
        Assert.True(median.Value is >= 0 and < 60_000, $"updatelatency median {median.Value}");
        Assert.True(Value(after, "uptime") > 0);
    }

    [Fact]
    public async Task TwoNodesInOneProcessKeepTheirOwnFigures()
    {
        await using var other = await TestHost.StartAsync(output);
        await using (var client = await TestClient.ConnectAsync(_host.EndPoint))
        {
            for (int i = 0; i < 5; i++) Ok(await client.CreateAsync("/own-" + Guid.NewGuid().ToString("N"), []));
        }
        var (_, mine) = await ScrapeAsync(_host.Host.MetricsEndPoint);
        var (_, theirs) = await ScrapeAsync(other.Host.MetricsEndPoint);
        Assert.True(Value(mine, "updatelatency_count") >= 5);
        Assert.Equal(0, Value(theirs, "updatelatency_count"));
        Assert.Equal(Value(mine, "znode_count") - 5, Value(theirs, "znode_count"));
        Assert.Single(theirs["znode_count"].Samples);
    }

    [Fact]
    public async Task OtherPathsAndMethodsAreRefused()
    {
        var endPoint = _host.Host.MetricsEndPoint;
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(endPoint, "/")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(endPoint, "/commands")).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await GetAsync(endPoint, "/metrics", HttpMethod.Post)).Status);
        Assert.Empty(_host.LoggedErrors);
    }

    internal sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    internal sealed record Family(string Type, List<Sample> Samples);

    private static double Value(Dictionary<string, Family> families, string sample)
    {
        foreach (var family in families.Values)
        {
            foreach (var s in family.Samples)
                if (s.Name == sample && s.Labels.Count == 0) return s.Value;
        }
        throw new KeyNotFoundException($"no unlabelled sample {sample}");
    }

    /// <summary>Scrapes with the reference parser; fails with its message when it rejects the text.</summary>
    internal static async Task<(string? ContentType, Dictionary<string, Family> Families)> ScrapeAsync(IPEndPoint endPoint)
    {
        var (exit, stdout, stderr) = await RunAsync("/usr/bin/python3", [PrometheusCheckScript, $"http://{endPoint}/metrics"], TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, $"prometheus_check.py exited {exit}: {stderr}");
        var json = JsonNode.Parse(stdout)!;
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        foreach (var f in (JsonArray)json["families"]!)
        {
            var samples = ((JsonArray)f!["samples"]!).Select(s => new Sample(
                (string)s!["name"]!,
                ((JsonObject)s["labels"]!).ToDictionary(kv => kv.Key, kv => (string)kv.Value!, StringComparer.Ordinal),
                s["value"]!.GetValueKind() == System.Text.Json.JsonValueKind.String
                    ? double.Parse(((string)s["value"]!).Replace("+Inf", "Infinity", StringComparison.Ordinal).Replace("-Inf", "-Infinity", StringComparison.Ordinal), CultureInfo.InvariantCulture)
                    : (double)s["value"]!)).ToList();
            Assert.True(families.TryAdd((string)f["name"]!, new Family((string)f["type"]!, samples)), $"family {f["name"]} appears twice");
        }
        return ((string?)json["content_type"], families);
    }
}
