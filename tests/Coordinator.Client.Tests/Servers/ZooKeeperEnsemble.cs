// Class fixture: a three-peer Apache ZooKeeper ensemble on loopback, so fail-over moves a session between real servers.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Coordinator.Client.Tests.Servers;

public class ZooKeeperEnsemble : IAsyncLifetime
{
    private readonly bool _readOnlyMode;

    public ZooKeeperEnsemble()
        : this(readOnlyMode: false)
    {
    }

    /// <summary>With <paramref name="readOnlyMode"/>, a peer that loses its quorum goes on serving reads (readonlymode.enabled).</summary>
    protected ZooKeeperEnsemble(bool readOnlyMode) => _readOnlyMode = readOnlyMode;

    private const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";
    private const int Peers = 3;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "coordinator-client-ensemble-" + Guid.NewGuid().ToString("N"));
    private readonly Process?[] _processes = new Process?[Peers];
    private readonly StringBuilder _output = new();

    public int[] ClientPorts { get; } = new int[Peers];

    public string ConnectionString => string.Join(',', ClientPorts.Select(p => "127.0.0.1:" + p));

    public async Task InitializeAsync()
    {
        var ports = FreePorts(Peers * 3);
        string servers = string.Join('\n', Enumerable.Range(0, Peers).Select(i => $"server.{i + 1}=127.0.0.1:{ports[Peers + i]}:{ports[2 * Peers + i]}"));
        for (int i = 0; i < Peers; i++)
        {
            ClientPorts[i] = ports[i];
            string conf = Path.Combine(_dir, $"conf{i + 1}");
            string data = Path.Combine(_dir, $"data{i + 1}");
            Directory.CreateDirectory(conf);
            Directory.CreateDirectory(data);
            await File.WriteAllTextAsync(Path.Combine(data, "myid"), (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (File.Exists("/etc/zookeeper/conf/log4j.properties")) File.Copy("/etc/zookeeper/conf/log4j.properties", Path.Combine(conf, "log4j.properties"));
            string cfg = Path.Combine(conf, "zoo.cfg");
            await File.WriteAllTextAsync(cfg, string.Join('\n',
                "tickTime=500", "initLimit=20", "syncLimit=10", $"dataDir={data}", $"clientPort={ports[i]}", "clientPortAddress=127.0.0.1",
                "maxClientCnxns=0", "maxSessionTimeout=20000", "4lw.commands.whitelist=*", "admin.enableServer=false", "forceSync=no",
                "cnxTimeout=1000", servers,
                // A read-only peer cannot commit the txn a global session needs; local sessions it can create.
                _readOnlyMode ? "localSessionsEnabled=true" : "", _readOnlyMode ? "localSessionsUpgradingEnabled=true" : "", ""));
            var psi = new ProcessStartInfo("java") { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dzookeeper.admin.enableServer=false",
                         $"-Dreadonlymode.enabled={(_readOnlyMode ? "true" : "false")}",
                         "-cp", $"{conf}:{ZooKeeperJar}", "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg })
                psi.ArgumentList.Add(a);
            var process = Process.Start(psi)!;
            process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _processes[i] = process;
        }
        var deadline = DateTime.UtcNow + StartTimeout;
        for (int i = 0; i < Peers; i++)
        {
            while ((await SrvrAsync(ClientPorts[i]))?.Contains("Mode: ", StringComparison.Ordinal) != true)
            {
                if (DateTime.UtcNow > deadline)
                {
                    string output;
                    lock (_output) output = _output.ToString();
                    throw new InvalidOperationException($"the ensemble did not form within {StartTimeout.TotalSeconds:F0} s:\n{output}");
                }
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Kills the peer serving <paramref name="clientPort"/> (only a process this fixture started).</summary>
    public async Task KillAsync(int clientPort)
    {
        int i = Array.IndexOf(ClientPorts, clientPort);
        var process = _processes[i];
        _processes[i] = null;
        if (process is null) return;
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
        process.Dispose();
    }

    public static async Task<string?> SrvrAsync(int port)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("srvr"u8.ToArray(), cts.Token);
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync(cts.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Distinct free loopback ports: all listeners are held open together so none is handed out twice.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        foreach (var l in listeners) l.Start();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners) l.Stop();
        return ports;
    }

    public async Task DisposeAsync()
    {
        foreach (int port in ClientPorts) await KillAsync(port);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public sealed class ZooKeeperReadOnlyEnsemble() : ZooKeeperEnsemble(readOnlyMode: true);
