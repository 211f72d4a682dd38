// Collection fixture: Debian's Apache ZooKeeper 3.8 standalone, with its AdminServer, on free loopback ports and a temp dir; the oracle for monitoring output.
//
// Debian's zookeeper.jar lists Jetty but not the servlet API in its manifest, so its AdminServer fails to load
// unless servlet-api.jar (Debian libservlet-api-java, which scripts/test installs) is on the classpath;
// with it the AdminServer answers as upstream's does. Bounded: 60 s to start, killed (only this pid) on dispose.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Coordinator.Compat.Tests;

namespace Coordinator.Host.Tests;

public sealed class MetricsApacheZooKeeper : IAsyncLifetime
{
    public const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";
    public const string ServletApiJar = "/usr/share/java/servlet-api.jar";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("coordinator-zk-oracle-").FullName;
    private Process? _process;

    public IPEndPoint ClientEndPoint { get; private set; } = null!;

    public IPEndPoint AdminEndPoint { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        foreach (string jar in new[] { ZooKeeperJar, ServletApiJar })
        {
            if (!File.Exists(jar)) throw new InvalidOperationException($"{jar} is missing (scripts/test installs the Debian zookeeper and libservlet-api-java packages)");
        }
        string? failure = null;
        // A free port can be taken between probing and binding; try a few times.
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            failure = await TryStartAsync(attempt);
            if (failure is null) return;
            StopProcess();
        }
        throw new InvalidOperationException($"Apache ZooKeeper did not start: {failure}; log: {ReadLog()}");
    }

    private async Task<string?> TryStartAsync(int attempt)
    {
        ClientEndPoint = new IPEndPoint(IPAddress.Loopback, Loopback.FreePort());
        AdminEndPoint = new IPEndPoint(IPAddress.Loopback, Loopback.FreePort());
        string conf = Path.Combine(_dir, $"conf{attempt}");
        string data = Path.Combine(_dir, $"data{attempt}");
        Directory.CreateDirectory(conf);
        Directory.CreateDirectory(data);
        if (File.Exists("/etc/zookeeper/conf/log4j.properties")) File.Copy("/etc/zookeeper/conf/log4j.properties", Path.Combine(conf, "log4j.properties"));
        string cfg = Path.Combine(conf, "zoo.cfg");
        await File.WriteAllTextAsync(cfg, string.Join('\n',
            "tickTime=2000", $"dataDir={data}", $"clientPort={ClientEndPoint.Port}", "clientPortAddress=127.0.0.1",
            "4lw.commands.whitelist=*", "admin.enableServer=true", "admin.serverAddress=127.0.0.1",
            $"admin.serverPort={AdminEndPoint.Port}", ""));
        var psi = new ProcessStartInfo("java")
        {
            WorkingDirectory = _dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "-Xmx256m", "-XX:+UseSerialGC", "-cp", $"{conf}:{ZooKeeperJar}:{ServletApiJar}",
                     "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start java");
        string log = Path.Combine(_dir, $"zk{attempt}.log");
        _ = Drain(_process.StandardOutput, log);
        _ = Drain(_process.StandardError, log + ".err");
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            if (await ServingAsync()) return null;
            await Task.Delay(200);
        }
        return _process.HasExited ? $"exited with code {_process.ExitCode}" : $"not serving within {StartTimeout.TotalSeconds} s";
    }

    /// <summary>Serving once srvr reports a mode and the AdminServer answers ruok.</summary>
    private async Task<bool> ServingAsync()
    {
        try
        {
            string srvr = await TestClient.FourLetterWordAsync(ClientEndPoint, "srvr");
            if (!srvr.Contains("Mode: ", StringComparison.Ordinal)) return false;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            return (await http.GetAsync($"http://{AdminEndPoint}/commands/ruok")).IsSuccessStatusCode;
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException or HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static async Task Drain(StreamReader reader, string path)
    {
        await using var file = File.CreateText(path);
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null) await file.WriteLineAsync(line);
    }

    private string ReadLog()
    {
        try
        {
            var last = Directory.GetFiles(_dir, "zk*.log*").OrderBy(f => f, StringComparer.Ordinal).LastOrDefault();
            return last is null ? "(none)" : string.Join('\n', File.ReadLines(last).TakeLast(20));
        }
        catch (IOException)
        {
            return "(unreadable)";
        }
    }

    private void StopProcess()
    {
        if (_process is null) return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        _process = null;
    }

    public Task DisposeAsync()
    {
        StopProcess();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class MetricsApacheZooKeeperCollection : ICollectionFixture<MetricsApacheZooKeeper>
{
    public const string Name = "Apache ZooKeeper 3.8 oracle (monitoring)";
}
