// zktop (Debian package) reads a Coordinator server: its own stat parser sees the version, mode, counters and client lines.
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using static Coordinator.Host.Tests.MetricsTestSupport;

namespace Coordinator.Host.Tests;

public sealed class MetricsZktopTests(ITestOutputHelper output)
{
    /// <summary>zktop's curses screen needs a terminal; its ZKServer class is what reads and parses stat, so it is driven directly.</summary>
    private const string ReadWithZktop = """
        import json, sys, zktop
        s = zktop.ZKServer(sys.argv[1], 0)
        print(json.dumps({
            'unavailable': s.unavailable, 'mode': s.mode, 'version': s.version,
            'node_count': getattr(s, 'node_count', None), 'zxid': getattr(s, 'zxid', None),
            'avg_latency': getattr(s, 'avg_latency', None),
            'sessions': [{'host': c.host, 'recved': c.recved} for c in s.sessions],
        }))
        """;

    [Fact]
    public async Task ZktopShowsTheServer()
    {
        await using var host = await TestHost.StartAsync(output);
        await using var client = await TestClient.ConnectAsync(host.EndPoint);
        Ok(await client.CreateAsync("/zktop", []));
        var (exit, stdout, stderr) = await RunAsync("/usr/bin/python3", ["-c", ReadWithZktop, host.EndPoint.ToString()], TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, $"zktop's parser failed ({exit}): {stderr}");
        var seen = JsonNode.Parse(stdout)!;
        Assert.False((bool)seen["unavailable"]!, stdout);
        Assert.Equal("standalone", (string?)seen["mode"]);
        Assert.Equal(CoordinatorHost.Version.Split('-')[0], (string?)seen["version"]);
        long nodes = await host.Host.Server.QueryAsync(n => (long)n.Tree.NodeCount);
        Assert.Equal(nodes.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)seen["node_count"]);
        Assert.Contains(((JsonArray)seen["sessions"]!).OfType<JsonObject>(), c => (string?)c["host"] == "127.0.0.1");
    }
}
