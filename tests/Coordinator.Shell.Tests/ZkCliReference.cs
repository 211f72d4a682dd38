// Apache ZooKeeper's own zkCli (Debian package zookeeper), fed a script on stdin: the reference output for the shell.
using Coordinator.Compat.Tests;

namespace Coordinator.Shell.Tests;

internal static class ZkCliReference
{
    public const string ZkCli = "/usr/share/zookeeper/bin/zkCli.sh";

    /// <summary>A command that prints one fixed line and changes nothing: separates the outputs of the commands.</summary>
    private const string Marker = "printwatches";
    private const string MarkerOutput = "printwatches is on";

    /// <summary>Each command's stdout lines from the real zkCli, with connection-state events left out.</summary>
    public static async Task<List<List<string>>> RunAsync(string server, IReadOnlyList<string> commands)
    {
        Assert.True(File.Exists(ZkCli), $"{ZkCli} is missing (install the Debian zookeeper package)");
        string script = Path.Combine(Path.GetTempPath(), $"zkcli-script-{Guid.NewGuid():N}.txt");
        try
        {
            var lines = new List<string> { Marker };
            foreach (string c in commands) lines.AddRange([c, Marker]);
            lines.Add("quit");
            await File.WriteAllLinesAsync(script, lines);
            // Both streams, as a terminal shows them (zkCli prints "Created ..." on stderr), without SLF4J's start-up notes.
            var result = await ProcessRunner.RunAsync("/bin/sh", ["-c", $"{ZkCli} -server {server} < {script} 2>&1 | grep -v '^SLF4J'"], TimeSpan.FromSeconds(60));
            Assert.False(result.TimedOut, result.Describe("zkCli"));
            return Split(StripConnectionEvents(result.Output), commands.Count, result.Output);
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static List<string> StripConnectionEvents(string output)
    {
        var lines = output.Split('\n').ToList();
        for (int i = lines.Count - 1; i >= 0; i--)
        {
            if (!lines[i].StartsWith("WatchedEvent state:", StringComparison.Ordinal) || !lines[i].Contains("type:None", StringComparison.Ordinal)) continue;
            // "", "WATCHER::", "", "WatchedEvent ..." as zkCli prints it
            int from = Math.Max(0, i - 3);
            lines.RemoveRange(from, i - from + 1);
            i = from;
        }
        return lines;
    }

    private static List<List<string>> Split(List<string> lines, int count, string raw)
    {
        int first = lines.IndexOf(MarkerOutput);
        Assert.True(first >= 0, "zkCli printed no marker line:\n" + raw);
        var blocks = new List<List<string>>();
        var current = new List<string>();
        foreach (string line in lines.Skip(first + 1))
        {
            if (line == MarkerOutput)
            {
                blocks.Add(current);
                current = [];
            }
            else
            {
                current.Add(line);
            }
        }
        Assert.True(blocks.Count == count, $"expected {count} command outputs from zkCli, got {blocks.Count}:\n{raw}");
        return blocks;
    }
}
