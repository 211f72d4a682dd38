// Class fixture: Debian's Apache ZooKeeper 3.8 standalone as a child process on a free loopback port, temp dirs.
using System.Diagnostics;
using System.Text;
using Coordinator.Compat.Tests;

namespace Coordinator.Client.Tests.Servers;

public sealed class ZooKeeperServer : IServerFixture, IAsyncLifetime
{
    private const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";
    private const string Log4jProperties = "/etc/zookeeper/conf/log4j.properties";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "coordinator-client-zk-" + Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _output = new();
    private Process? _process;
    private int _port;

    public string Name => "ZooKeeper";

    public string HostPort => "127.0.0.1:" + _port;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ZooKeeperJar)) throw new InvalidOperationException($"{ZooKeeperJar} is missing: install Debian's zookeeper package");
        string conf = Path.Combine(_dir, "conf");
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(conf);
        Directory.CreateDirectory(data);
        if (File.Exists(Log4jProperties)) File.Copy(Log4jProperties, Path.Combine(conf, "log4j.properties"));
        // Free port: bind 0, read it, release, then hand it to ZooKeeper (tried again if someone takes it between).
        for (int attempt = 1; ; attempt++)
        {
            _port = Loopback.FreePort();
            string cfg = Path.Combine(conf, "zoo.cfg");
            await File.WriteAllTextAsync(cfg, string.Join('\n',
                "tickTime=500", $"dataDir={data}", $"clientPort={_port}", "clientPortAddress=127.0.0.1",
                "maxSessionTimeout=4000", "maxClientCnxns=0", "4lw.commands.whitelist=*", "extendedTypesEnabled=true",
                "admin.enableServer=false", "forceSync=no", ""));
            var psi = new ProcessStartInfo("java") { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dzookeeper.admin.enableServer=false",
                         "-cp", $"{conf}:{ZooKeeperJar}", "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg })
                psi.ArgumentList.Add(a);
            _process = Process.Start(psi)!;
            _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            if (await WaitForImOkAsync()) return;
            await StopAsync();
            if (attempt == 3)
            {
                string output;
                lock (_output) output = _output.ToString();
                throw new InvalidOperationException($"ZooKeeper did not answer imok on port {_port}:\n{output}");
            }
        }
    }

    private async Task<bool> WaitForImOkAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline && !_process!.HasExited)
        {
            if (await FourLetterWordAsync("ruok") == "imok" && (await FourLetterWordAsync("srvr"))?.Contains("Mode: ", StringComparison.Ordinal) == true)
                return true;
            await Task.Delay(100);
        }
        return false;
    }

    private Task<string?> FourLetterWordAsync(string word) => Loopback.FourLetterWordAsync(_port, word, TimeSpan.FromSeconds(2));

    private async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null) return;
        // Only the process this fixture started, by its own handle.
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
        process.Dispose();
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
