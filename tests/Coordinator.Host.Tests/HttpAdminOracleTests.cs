// The admin API next to Apache ZooKeeper 3.8's AdminServer for the same state: same command list, same JSON key paths per command.
using System.Net;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using static Coordinator.Host.Tests.MetricsTestSupport;

namespace Coordinator.Host.Tests;

[Collection(MetricsApacheZooKeeperCollection.Name)]
public sealed class HttpAdminOracleTests(MetricsApacheZooKeeper zooKeeper, ITestOutputHelper output)
{
    /// <summary>Commands whose fields are JVM facts on ZooKeeper; compared by inclusion below instead.</summary>
    private static readonly string[] PlatformSpecific = ["environment", "system_properties", "monitor"];

    [Fact]
    public async Task BothListTheSameCommands()
    {
        await using var host = await TestHost.StartAsync(output, s => s with { AdminEnableServer = true });
        Assert.Equal(await CommandNamesAsync(zooKeeper.AdminEndPoint), await CommandNamesAsync(host.Host.AdminEndPoint!));
    }

    [Fact]
    public async Task EveryCommandAnswersZooKeepersKeyPathsForTheSameState()
    {
        await using var host = await TestHost.StartAsync(output, s => s with { AdminEnableServer = true });
        string prefix = "/oracle-admin-" + Guid.NewGuid().ToString("N");
        // 130 children: past zxid 128, where ZooKeeper logs its first digest (hash).
        await using var theirs = await BuildStateAsync(zooKeeper.ClientEndPoint, prefix, children: 130);
        await using var ours = await BuildStateAsync(host.EndPoint, prefix, children: 130);

        var mismatches = new List<string>();
        foreach (string command in await CommandNamesAsync(zooKeeper.AdminEndPoint))
        {
            if (command is "connection_stat_reset" or "stat_reset") continue; // they reset counters the others report
            var zk = await GetJsonAsync(zooKeeper.AdminEndPoint, "/commands/" + command);
            var us = await GetJsonAsync(host.Host.AdminEndPoint!, "/commands/" + command);
            Assert.Equal((string?)zk["command"], (string?)us["command"]);
            if (PlatformSpecific.Contains(command)) continue;
            var zkPaths = KeyPaths(zk);
            var ourPaths = KeyPaths(us);
            if (!zkPaths.SetEquals(ourPaths))
            {
                mismatches.Add($"{command}: ZooKeeper only [{string.Join(", ", zkPaths.Except(ourPaths))}], " +
                    $"ours only [{string.Join(", ", ourPaths.Except(zkPaths))}]");
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    [Fact]
    public async Task PlatformFactsCoverZooKeepersKeys()
    {
        await using var host = await TestHost.StartAsync(output, s => s with { AdminEnableServer = true });
        var zkEnvironment = await GetJsonAsync(zooKeeper.AdminEndPoint, "/commands/environment");
        var ourEnvironment = await GetJsonAsync(host.Host.AdminEndPoint!, "/commands/environment");
        Assert.Empty(zkEnvironment.Select(kv => kv.Key).Except(ourEnvironment.Select(kv => kv.Key)));

        // monitor: ZooKeeper adds its metrics registry (pipeline counters, JVM pauses) after the server's own
        // gauges; ours answers those gauges in ZooKeeper's order, then the one registry summary it keeps
        // (fsynctime), under ZooKeeper's names.
        var zkMonitor = (await GetJsonAsync(zooKeeper.AdminEndPoint, "/commands/monitor")).Select(kv => kv.Key).ToList();
        var ourMonitor = (await GetJsonAsync(host.Host.AdminEndPoint!, "/commands/monitor")).Select(kv => kv.Key).ToList();
        int gauges = zkMonitor.IndexOf("non_mtls_local_conn_count") + 1;
        Assert.Equal(zkMonitor.Take(gauges), ourMonitor.Take(gauges));
        string[] fsync = ["avg_fsynctime", "min_fsynctime", "max_fsynctime", "cnt_fsynctime", "sum_fsynctime"];
        Assert.All(fsync, key => Assert.Contains(key, zkMonitor));
        Assert.Equal([.. fsync, "command", "error"], ourMonitor.Skip(gauges));
    }

    [Fact]
    public async Task UnknownCommandsAnswerAlike()
    {
        await using var host = await TestHost.StartAsync(output, s => s with { AdminEnableServer = true });
        var (zkStatus, _, zkBody) = await GetAsync(zooKeeper.AdminEndPoint, "/commands/nosuch");
        var (ourStatus, _, ourBody) = await GetAsync(host.Host.AdminEndPoint!, "/commands/nosuch");
        Assert.Equal(zkStatus, ourStatus);
        Assert.Equal(JsonNode.Parse(zkBody)!.ToJsonString(), JsonNode.Parse(ourBody)!.ToJsonString());
    }

    private static async Task<List<string>> CommandNamesAsync(IPEndPoint admin)
    {
        var (status, _, body) = await GetAsync(admin, "/commands");
        Assert.Equal(HttpStatusCode.OK, status);
        return body.Split('\n').Where(l => l.StartsWith("<a href=", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf('>') + 1)..l.IndexOf("</a>", StringComparison.Ordinal)]).ToList();
    }
}
