// Test helper: Debian's Apache ZooKeeper 3.8 as a child process on a free loopback port over a given dataDir.
using System.Diagnostics;
using System.Net;
using System.Text;
using Coordinator.Compat.Tests;

namespace Coordinator.Durability.Tests;

internal sealed class ApacheZooKeeperProcess : IAsyncDisposable
{
    public const string Jar = "/usr/share/java/zookeeper.jar";
    private const string ClassPath = Jar + ":/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-simple.jar";
    private const string Log4jProperties = "/etc/zookeeper/conf/log4j.properties";
    private const int StartAttemptsMax = 3;
    private const int OutputCharsMax = 2_000_000;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _output;

    private ApacheZooKeeperProcess(Process process, StringBuilder output, int port)
    {
        _process = process;
        _output = output;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    public IPEndPoint EndPoint { get; }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static bool Installed => File.Exists(Jar) && File.Exists("/usr/bin/java");

    /// <summary>Starts ZooKeeper on <paramref name="dataDir"/> and waits until it serves (mntr reports a state).</summary>
    public static async Task<ApacheZooKeeperProcess> StartAsync(string dataDir, string workDir)
    {
        string failure = "";
        // A free port can be taken between probing and binding; try a few.
        for (int attempt = 1; attempt <= StartAttemptsMax; attempt++)
        {
            int port = Loopback.FreePort();
            string conf = Path.Combine(workDir, $"zk-conf-{port}");
            Directory.CreateDirectory(conf);
            if (File.Exists(Log4jProperties)) File.Copy(Log4jProperties, Path.Combine(conf, "log4j.properties"), overwrite: true);
            string cfg = Path.Combine(conf, "zoo.cfg");
            await File.WriteAllTextAsync(cfg, string.Join('\n',
                "tickTime=2000", $"dataDir={dataDir}", $"clientPort={port}", "clientPortAddress=127.0.0.1",
                "4lw.commands.whitelist=*", "admin.enableServer=false", ""));
            var server = Start(conf, cfg, port);
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < StartTimeout && !server._process.HasExited)
            {
                // ruok answers before the database is loaded; mntr reports a state only once the server serves.
                string? mntr = await server.FourLetterWordAsync("mntr");
                if (mntr is not null && mntr.Contains("zk_server_state", StringComparison.Ordinal)) return server;
                await Task.Delay(200);
            }
            failure = (server._process.HasExited ? $"exited with {server._process.ExitCode}" : "did not serve in time") + $" on port {port}\n{server.Output}";
            await server.DisposeAsync();
        }
        throw new InvalidOperationException("Apache ZooKeeper did not start: " + failure);
    }

    private static ApacheZooKeeperProcess Start(string conf, string cfg, int port)
    {
        var psi = new ProcessStartInfo("/usr/bin/java")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = conf,
        };
        foreach (string a in new[]
        {
            "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dzookeeper.admin.enableServer=false",
            "-cp", $"{conf}:{ClassPath}", "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg,
        })
        {
            psi.ArgumentList.Add(a);
        }
        var output = new StringBuilder();
        var process = new Process { StartInfo = psi };
        void Append(string? line)
        {
            if (line is null) return;
            lock (output)
            {
                if (output.Length < OutputCharsMax) output.Append(line).Append('\n');
            }
        }
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return new ApacheZooKeeperProcess(process, output, port);
    }

    private Task<string?> FourLetterWordAsync(string word) => Loopback.FourLetterWordAsync(EndPoint.Port, word, TimeSpan.FromSeconds(5));

    /// <summary>SIGKILL (ZooKeeper syncs every txn before it answers, so nothing acknowledged is lost) and a bounded wait.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            try { await _process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
        }
        _process.Dispose();
    }
}
