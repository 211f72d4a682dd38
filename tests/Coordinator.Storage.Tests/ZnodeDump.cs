// Test helper: the JSON dump zk_driver.py takes of a live server, compared with a DataTree node by node (data, ACL, full Stat).
using System.Text.Json;
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

public sealed record Znode(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, Stat Stat);

internal static class ZnodeDump
{
    public static string DriverPath => Path.Combine(AppContext.BaseDirectory, "zk_driver.py");

    /// <summary>Runs zk_driver.py (populate or dump) against a server and reads the dump it writes.</summary>
    public static async Task<List<Znode>> RunDriverAsync(string command, int port, string workDir)
    {
        string output = Path.Combine(workDir, $"{command}-{Guid.NewGuid():N}.json");
        var outcome = await ExternalProcess.RunAsync("/usr/bin/python3", [DriverPath, command, port.ToString(System.Globalization.CultureInfo.InvariantCulture), output], TimeSpan.FromSeconds(90));
        if (outcome.ExitCode != 0 || !File.Exists(output)) throw new InvalidOperationException(outcome.Describe($"zk_driver.py {command}"));
        return Parse(await File.ReadAllTextAsync(output));
    }

    public static List<Znode> Parse(string json)
    {
        var nodes = new List<Znode>();
        foreach (var n in JsonDocument.Parse(json).RootElement.EnumerateArray())
        {
            string? hex = n.GetProperty("data").GetString();
            var acl = n.GetProperty("acl").EnumerateArray()
                .Select(a => new Acl(a[0].GetInt32(), new Id(a[1].GetString()!, a[2].GetString()!))).ToList();
            long[] s = n.GetProperty("stat").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var stat = new Stat(s[0], s[1], s[2], s[3], (int)s[4], (int)s[5], (int)s[6], s[7], (int)s[8], (int)s[9], s[10]);
            nodes.Add(new Znode(n.GetProperty("path").GetString()!, hex is null ? null : Convert.FromHexString(hex), acl, stat));
        }
        return nodes;
    }

    /// <summary>The tree holds exactly the dumped znodes, each with the same data (null stays null), ACL and client-visible Stat.</summary>
    public static void AssertMatches(IReadOnlyList<Znode> dump, DataTree tree)
    {
        Assert.Equal(dump.Select(z => z.Path).Order(StringComparer.Ordinal), TreeAssert.PreOrder(tree).Order(StringComparer.Ordinal));
        foreach (var z in dump)
        {
            var node = tree.GetNode(z.Path)!;
            Assert.True(z.Data is null == node.Data is null, $"{z.Path}: data null-ness differs");
            Assert.True((z.Data ?? []).AsSpan().SequenceEqual(node.Data ?? []), $"{z.Path}: data differs");
            Assert.True(z.Acl.SequenceEqual(node.Acl), $"{z.Path}: ACL {string.Join(",", z.Acl)} != {string.Join(",", node.Acl)}");
            Assert.True(z.Stat == node.ToStat(), $"{z.Path}: stat {z.Stat} != {node.ToStat()}");
        }
    }
}
