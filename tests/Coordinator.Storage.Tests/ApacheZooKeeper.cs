// Test helper: Debian's Apache ZooKeeper 3.8 as an oracle: a standalone server on a free loopback port over a given dataDir, and its file tools.
using System.Diagnostics;
using System.Text;
using Coordinator.Compat.Tests;

namespace Coordinator.Storage.Tests;

internal sealed class ApacheZooKeeper : IAsyncDisposable
{
    public const string Jar = "/usr/share/java/zookeeper.jar";
    private const string ServerClassPath = Jar + ":/usr/share/java/slf4j-simple.jar";
    private const string ToolClassPath = Jar + ":/usr/share/java/slf4j-nop.jar";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _output;

    private ApacheZooKeeper(Process process, StringBuilder output, int port)
    {
        _process = process;
        _output = output;
        Port = port;
    }

    public int Port { get; }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Starts ZooKeeper on <paramref name="dataDir"/> and waits until it serves.</summary>
    public static async Task<ApacheZooKeeper> StartAsync(string dataDir, string workDir, int snapCount = 10)
    {
        if (!File.Exists(Jar)) throw new InvalidOperationException($"{Jar} is missing: install Debian's zookeeper package to run the interchange tests");
        string? failure = null;
        // A free port can be taken between probing and binding; try a few.
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            int port = Loopback.FreePort();
            string conf = Path.Combine(workDir, $"conf-{port}");
            Directory.CreateDirectory(conf);
            string cfg = Path.Combine(conf, "zoo.cfg");
            File.WriteAllText(cfg, string.Join('\n',
                "tickTime=2000", $"dataDir={dataDir}", $"clientPort={port}", "clientPortAddress=127.0.0.1",
                "4lw.commands.whitelist=*", "extendedTypesEnabled=true", "admin.enableServer=false",
                $"snapCount={snapCount}", ""));
            var process = ExternalProcess.Start("java",
                ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dzookeeper.admin.enableServer=false",
                 // The TTL and container reaper would judge the tests' fixed timestamps; keep it out of the way.
                 "-Dznode.container.checkIntervalMs=3600000",
                 "-cp", $"{conf}:{ServerClassPath}", "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg],
                workDir, out var output);
            var server = new ApacheZooKeeper(process, output, port);
            var deadline = DateTime.UtcNow + StartTimeout;
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                // ruok answers before the database is loaded; mntr only reports metrics once the server serves.
                string? mntr = await server.FourLetterWordAsync("mntr");
                if (mntr is not null && mntr.Contains("zk_server_state", StringComparison.Ordinal)) return server;
                await Task.Delay(100);
            }
            failure = (process.HasExited ? $"exited with {process.ExitCode}" : "did not start serving in time") + $" (port {port})\n{server.Output}";
            await server.DisposeAsync();
        }
        throw new InvalidOperationException("Apache ZooKeeper did not start: " + failure);
    }

    public Task<string?> FourLetterWordAsync(string word) => Loopback.FourLetterWordAsync(Port, word, TimeSpan.FromSeconds(5));

    /// <summary>A value from the mntr four-letter word.</summary>
    public async Task<string?> MetricAsync(string name)
    {
        // A busy machine (several JVMs starting) can miss one probe's timeout; try a few times.
        for (int attempt = 0; attempt < 10; attempt++)
        {
            string? mntr = await FourLetterWordAsync("mntr");
            string? value = mntr?.Split('\n').Select(l => l.Split('\t')).FirstOrDefault(p => p.Length == 2 && p[0] == name)?[1].Trim();
            if (value is not null) return value;
            await Task.Delay(200);
        }
        return null;
    }

    /// <summary>Kills the server (as a crash would: ZooKeeper has synced every txn it acknowledged) and waits for it to go.</summary>
    public async ValueTask DisposeAsync()
    {
        ExternalProcess.Kill(_process);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try { await _process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
        _process.Dispose();
    }

    /// <summary>Runs one of ZooKeeper's own file tools (SnapshotFormatter, TxnLogToolkit).</summary>
    public static Task<ProcessOutcome> RunToolAsync(string mainClass, params string[] arguments) =>
        ExternalProcess.RunAsync("java", ["-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", ToolClassPath, mainClass, .. arguments], ToolTimeout);
}
