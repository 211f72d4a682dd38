// Starts Apache ZooKeeper 3.8 (Debian) and Coordinator with equivalent standalone configs on free loopback ports.
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
        _process = Start(start);
        _dir = dir;
        Port = port;
    }

    /// <summary>Kills the server with SIGKILL and starts it again on the same data (it has not necessarily loaded it yet).</summary>
    public async Task KillAndStartAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
        _process = Start(_start);
    }

    public string Name { get; }
    public int Port { get; }

    /// <summary>The gRPC port when started with one (StartCoordinatorAsync(grpc: true)); 0 otherwise.</summary>
    public int GrpcPort { get; private init; }
    public int Pid => _process.Id;

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Both servers get the same settings: tickTime 2000, forceSync on, every four-letter word allowed.</summary>
    private static string Config(string dir, int port) => $"""
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
        string dir = Directory.CreateTempSubdirectory("bench-zk-").FullName;
        int port = FreePort();
        File.WriteAllText(Path.Combine(dir, "zoo.cfg"), Config(dir, port).Replace("metricsProvider.httpPort=0\n", "").Replace("admin.serverPort=0\n", ""));
        File.Copy("/etc/zookeeper/conf/log4j.properties", Path.Combine(dir, "log4j.properties"));
        var psi = new ProcessStartInfo("java")
        {
            ArgumentList = { $"-Xmx{heap}", "-Dzookeeper.root.logger=WARN,CONSOLE", "-cp", $"{dir}:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-api.jar",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", Path.Combine(dir, "zoo.cfg") },
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var launcher = new ServerLauncher("zookeeper", psi, dir, port);
        await launcher.WaitServingAsync();
        return launcher;
    }

    public static async Task<ServerLauncher> StartCoordinatorAsync(string hostDll, bool grpc = false)
    {
        string dir = Directory.CreateTempSubdirectory("bench-coord-").FullName;
        int port = FreePort();
        int grpcPort = grpc ? FreePort() : 0;
        File.WriteAllText(Path.Combine(dir, "zoo.cfg"), Config(dir, port) + (grpc ? $"\ngrpc.port={grpcPort}\ngrpc.address=127.0.0.1\n" : ""));
        var psi = new ProcessStartInfo("dotnet") { ArgumentList = { hostDll, Path.Combine(dir, "zoo.cfg") }, RedirectStandardOutput = true, RedirectStandardError = true };
        var launcher = new ServerLauncher("coordinator", psi, dir, port) { GrpcPort = grpcPort };
        await launcher.WaitServingAsync();
        return launcher;
    }

    private static Process Start(ProcessStartInfo psi)
    {
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
        // Drain output so a chatty server never blocks on a full pipe.
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>Waits (30 s at most) until srvr reports a Mode line: the server accepts sessions.</summary>
    private async Task WaitServingAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}");
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, Port);
                await c.GetStream().WriteAsync("srvr"u8.ToArray());
                string text = await new StreamReader(c.GetStream()).ReadToEndAsync();
                if (ModeLine().IsMatch(text)) return;
            }
            catch (SocketException) { }
            catch (IOException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{Name} did not start serving within 30 s");
    }

    [GeneratedRegex("^Mode: ", RegexOptions.Multiline)]
    private static partial Regex ModeLine();

    public async ValueTask DisposeAsync()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
