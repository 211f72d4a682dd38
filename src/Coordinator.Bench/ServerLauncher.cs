// Starts Apache ZooKeeper 3.8 (Debian) and Coordinator with equivalent standalone configs on free loopback ports.
// EnsembleLauncher uses its pieces (config, process start, srvr Mode) for ensembles.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Coordinator.Bench;

internal sealed partial class ServerLauncher : IAsyncDisposable
{
    private readonly ProcessStartInfo _start;
    private readonly string _dir;
    private Process _process;

    private ServerLauncher(string name, ProcessStartInfo start, string dir, int port)
    {
        Name = name;
        _start = start;
        _process = ChildProcesses.Start(start);
        _dir = dir;
        Port = port;
    }

    /// <summary>Kills the server with SIGKILL and starts it again on the same data (it has not necessarily loaded it yet).</summary>
    public async Task KillAndStartAsync()
    {
        await ChildProcesses.KillAsync(_process);
        _process = ChildProcesses.Start(_start);
    }

    public string Name { get; }
    public int Port { get; }

    /// <summary>The gRPC port when started with one (StartCoordinatorAsync(grpc: true)); 0 otherwise.</summary>
    public int GrpcPort { get; private init; }
    public int Pid => _process.Id;

    private static int FreePort() => FreePorts(1)[0];

    /// <summary>Distinct free loopback ports: all are held open until every one is chosen, so none repeats.</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            foreach (var l in listeners) l.Start();
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
    }

    /// <summary>Both servers get the same settings: tickTime 2000, forceSync on, every four-letter word allowed.</summary>
    public static string Config(string dir, int port) => $"""
        tickTime=2000
        dataDir={dir}/data
        clientPort={port}
        clientPortAddress=127.0.0.1
        maxClientCnxns=0
        forceSync=yes
        4lw.commands.whitelist=*
        admin.enableServer=false
        metricsProvider.httpPort=0
        admin.serverPort=0
        """;

    public static async Task<ServerLauncher> StartZooKeeperAsync(string heap)
    {
        string dir = ChildProcesses.CreateTempDir("bench-zk-");
        int port = FreePort();
        File.WriteAllText(Path.Combine(dir, "zoo.cfg"), ForZooKeeper(Config(dir, port)));
        var launcher = new ServerLauncher("zookeeper", ZooKeeperProcess(dir, heap), dir, port);
        await launcher.WaitServingAsync();
        return launcher;
    }

    /// <summary>ZooKeeper has no such keys (it would log them as unknown system properties).</summary>
    public static string ForZooKeeper(string config) =>
        config.Replace("metricsProvider.httpPort=0\n", "").Replace("admin.serverPort=0\n", "");

    private const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";

    /// <summary>Apache ZooKeeper (QuorumPeerMain) on <paramref name="dir"/>/zoo.cfg, with -Xmx<paramref name="heap"/>.</summary>
    public static ProcessStartInfo ZooKeeperProcess(string dir, string heap)
    {
        if (!File.Exists(ZooKeeperJar))
            throw new InvalidOperationException("Apache ZooKeeper is not installed (Debian package zookeeper); scripts/bench --compare installs it");
        File.Copy("/etc/zookeeper/conf/log4j.properties", Path.Combine(dir, "log4j.properties"), overwrite: true);
        return new ProcessStartInfo("java")
        {
            ArgumentList = { $"-Xmx{heap}", "-Dzookeeper.root.logger=WARN,CONSOLE", "-cp", $"{dir}:{ZooKeeperJar}:/usr/share/java/slf4j-api.jar",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", Path.Combine(dir, "zoo.cfg") },
        };
    }

    public static ProcessStartInfo CoordinatorProcess(string hostDll, string configPath) =>
        new("dotnet") { ArgumentList = { hostDll, configPath } };

    public static async Task<ServerLauncher> StartCoordinatorAsync(string hostDll, bool grpc = false)
    {
        string dir = ChildProcesses.CreateTempDir("bench-coord-");
        int port = FreePort();
        int grpcPort = grpc ? FreePort() : 0;
        File.WriteAllText(Path.Combine(dir, "zoo.cfg"), Config(dir, port) + (grpc ? $"\ngrpc.port={grpcPort}\ngrpc.address=127.0.0.1\n" : ""));
        var psi = CoordinatorProcess(hostDll, Path.Combine(dir, "zoo.cfg"));
        var launcher = new ServerLauncher("coordinator", psi, dir, port) { GrpcPort = grpcPort };
        await launcher.WaitServingAsync();
        return launcher;
    }

    /// <summary>Waits (30 s at most) until srvr reports a Mode line: the server accepts sessions.</summary>
    private async Task WaitServingAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}");
            if (await ModeAsync(Port) is not null) return;
            await Task.Delay(200);
        }
        throw new TimeoutException($"{Name} did not start serving within 30 s");
    }

    /// <summary>
    /// The Mode srvr reports (standalone, leader, follower, observer), or null when the server does not answer with
    /// one within 2 s (a ZooKeeper that is still loading, or out of its quorum, accepts the connection and says nothing useful).
    /// </summary>
    public static async Task<string?> ModeAsync(int port)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            await c.GetStream().WriteAsync("srvr"u8.ToArray(), timeout.Token);
            string text = await new StreamReader(c.GetStream()).ReadToEndAsync(timeout.Token);
            var m = ModeLine().Match(text);
            return m.Success ? m.Groups[1].Value.Trim() : null;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    [GeneratedRegex("^Mode: (.*)$", RegexOptions.Multiline)]
    private static partial Regex ModeLine();

    public async ValueTask DisposeAsync()
    {
        await ChildProcesses.KillAsync(_process);
        ChildProcesses.DeleteDir(_dir);
    }
}
