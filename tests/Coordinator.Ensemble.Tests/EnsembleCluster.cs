// Test helper: an ensemble (N voters + observers) of Coordinator or Apache ZooKeeper processes on loopback ports in a temp dir.
using System.Diagnostics;
using System.Globalization;
using Coordinator.Compat.Tests;

namespace Coordinator.Ensemble.Tests;

/// <summary>Which server the ensemble runs: ours, or Apache ZooKeeper 3.8 (Debian) as the oracle.</summary>
public enum ServerKind
{
    Coordinator,
    ZooKeeper,
}

/// <summary>One member: its ports, directories, log, and the process of its current run (if any).</summary>
internal sealed class EnsembleNode
{
    public required int Id { get; init; }
    public required bool IsObserver { get; init; }
    public required int ClientPort { get; init; }
    public required int QuorumPort { get; init; }
    public required int ElectionPort { get; init; }
    public required string Dir { get; init; }
    public string DataDir => Path.Combine(Dir, "data");
    public string ConfigPath => Path.Combine(Dir, "zoo.cfg");
    public NodeLog Log { get; } = new();
    public NodeProcess? Process { get; set; }
    public int Runs { get; set; }
    public bool IsRunning => Process is { HasExited: false };
    public string HostPort => $"127.0.0.1:{ClientPort.ToString(CultureInfo.InvariantCulture)}";
    public string Role => IsObserver ? "observer" : "voter";

    /// <summary>srvr's Mode when this member serves as it should: leader or follower for a voter, observer for an observer.</summary>
    public bool ServesAsExpected(string? mode) => IsObserver ? mode == "observer" : mode is "leader" or "follower";

    public override string ToString() => $"node {Id} ({Role}, client port {ClientPort})";
}

/// <summary>
/// Starts an ensemble configured exactly like a ZooKeeper one (server.N lines, myid, tickTime/initLimit/syncLimit,
/// per-node clientPort and dataDir, observers with peerType=observer) on free loopback ports found at run time,
/// waits (bounded) until every member serves in its role, and kills/restarts members by pid. Disposing kills every
/// process it started and deletes the temp dir.
/// </summary>
internal sealed class EnsembleCluster : IAsyncDisposable
{
    public const int TickTimeMs = 1000;
    public const int InitLimit = 10;
    public const int SyncLimit = 5;

    /// <summary>Generous: cold JVM or dotnet starts on a busy 2-core machine take seconds each.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";
    private const string Java = "/usr/bin/java";
    private const string ZooKeeperClassPath = ZooKeeperJar + ":/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-simple.jar";
    private const string Log4jProperties = "/etc/zookeeper/conf/log4j.properties";

    private readonly Action<string> _trace;
    private bool _disposed;

    private EnsembleCluster(ServerKind kind, string root, IReadOnlyList<EnsembleNode> nodes, Action<string> trace)
    {
        Kind = kind;
        Root = root;
        Nodes = nodes;
        _trace = trace;
    }

    public ServerKind Kind { get; }

    /// <summary>The temp dir holding every member's config and data; deleted on dispose.</summary>
    public string Root { get; }

    public IReadOnlyList<EnsembleNode> Nodes { get; }

    public IEnumerable<EnsembleNode> Voters => Nodes.Where(n => !n.IsObserver);

    public IEnumerable<EnsembleNode> Observers => Nodes.Where(n => n.IsObserver);

    /// <summary>Every member's host:port, comma separated (a client connect string).</summary>
    public string ConnectString => string.Join(',', Nodes.Select(n => n.HostPort));

    public EnsembleNode Node(int id) => Nodes.Single(n => n.Id == id);

    /// <summary>
    /// Writes the configs, starts all members at once and waits until every voter says leader/follower (one leader)
    /// and every observer says observer. On failure everything started is killed again and the exception carries
    /// each member's log tail.
    /// </summary>
    public static async Task<EnsembleCluster> StartAsync(ServerKind kind, int voters, int observers, Action<string> trace)
    {
        if (kind == ServerKind.ZooKeeper && !(File.Exists(ZooKeeperJar) && File.Exists(Java)))
            throw new InvalidOperationException($"Apache ZooKeeper is not installed ({ZooKeeperJar}, {Java}); scripts/test installs the Debian packages");
        string root = Path.Combine(Path.GetTempPath(), $"coord-ens-{kind.ToString().ToLowerInvariant()}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        int total = voters + observers;
        int[] ports = Loopback.FreePorts(3 * total);
        var nodes = new List<EnsembleNode>();
        for (int i = 0; i < total; i++)
        {
            nodes.Add(new EnsembleNode
            {
                Id = i + 1,
                IsObserver = i >= voters,
                ClientPort = ports[3 * i],
                QuorumPort = ports[3 * i + 1],
                ElectionPort = ports[3 * i + 2],
                Dir = Path.Combine(root, $"node{i + 1}"),
            });
        }
        var cluster = new EnsembleCluster(kind, root, nodes, trace);
        try
        {
            foreach (var node in nodes) cluster.WriteConfig(node);
            var watch = Stopwatch.StartNew();
            foreach (var node in nodes) cluster.Launch(node);
            await cluster.WaitReadyAsync(nodes, ReadyTimeout);
            var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(10));
            trace($"{kind} ensemble of {voters} voters + {observers} observers ready in {watch.Elapsed.TotalSeconds:F1} s; leader node {leader.Id}; "
                  + string.Join(", ", nodes.Select(n => $"node {n.Id} pid {n.Process!.Pid} client {n.ClientPort} quorum {n.QuorumPort} election {n.ElectionPort}{(n.IsObserver ? " observer" : "")}")));
            return cluster;
        }
        catch (Exception e)
        {
            string logs = cluster.DescribeLogs();
            await cluster.DisposeAsync();
            throw new InvalidOperationException($"{kind} ensemble did not start: {e.Message}\n{logs}", e);
        }
    }

    private void WriteConfig(EnsembleNode node)
    {
        Directory.CreateDirectory(node.DataDir);
        File.WriteAllText(Path.Combine(node.DataDir, "myid"), node.Id.ToString(CultureInfo.InvariantCulture) + "\n");
        var lines = new List<string>
        {
            $"tickTime={TickTimeMs}",
            $"initLimit={InitLimit}",
            $"syncLimit={SyncLimit}",
            $"dataDir={node.DataDir}",
            $"clientPort={node.ClientPort}",
            "clientPortAddress=127.0.0.1",
            "4lw.commands.whitelist=*",
            "admin.enableServer=false",
        };
        if (Kind == ServerKind.Coordinator)
        {
            // Our metrics endpoint is on by default; any free port per member. gRPC stays off (no grpc.port).
            lines.Add("metricsProvider.httpHost=127.0.0.1");
            lines.Add("metricsProvider.httpPort=0");
        }
        if (node.IsObserver) lines.Add("peerType=observer");
        foreach (var peer in Nodes)
        {
            lines.Add($"server.{peer.Id}=127.0.0.1:{peer.QuorumPort}:{peer.ElectionPort}{(peer.IsObserver ? ":observer" : "")}");
        }
        File.WriteAllText(node.ConfigPath, string.Join('\n', lines) + "\n");
        if (Kind == ServerKind.ZooKeeper && File.Exists(Log4jProperties))
            File.Copy(Log4jProperties, Path.Combine(node.Dir, "log4j.properties"), overwrite: true);
    }

    private void Launch(EnsembleNode node)
    {
        node.Runs++;
        node.Log.Append($"===== {node} run {node.Runs} starting at {DateTime.UtcNow:HH:mm:ss.fff} =====");
        if (Kind == ServerKind.Coordinator)
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "Coordinator.Host.dll");
            if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} is missing (the test project references src/Coordinator.Host to put it there)");
            string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
            node.Process = NodeProcess.Start(dotnet, [dll, node.ConfigPath], node.Dir, node.Log);
        }
        else
        {
            node.Process = NodeProcess.Start(Java,
            [
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dzookeeper.admin.enableServer=false",
                "-cp", $"{node.Dir}:{ZooKeeperClassPath}", "org.apache.zookeeper.server.quorum.QuorumPeerMain", node.ConfigPath,
            ], node.Dir, node.Log);
        }
        node.Log.Append($"===== {node} run {node.Runs} is pid {node.Process.Pid} =====");
    }

    /// <summary>srvr's Mode of one member, or null if it does not answer or says it is not serving.</summary>
    public async Task<string?> ModeAsync(EnsembleNode node) =>
        Loopback.ModeOf(await Loopback.FourLetterWordAsync(node.ClientPort, "srvr", ProbeTimeout));

    /// <summary>
    /// Waits until each of <paramref name="nodes"/> serves in its role. Fails at once if one exited or reports
    /// Mode: standalone (a member of a configured ensemble never may), else after <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitReadyAsync(IEnumerable<EnsembleNode> nodes, TimeSpan timeout)
    {
        var pending = nodes.ToList();
        var watch = Stopwatch.StartNew();
        var last = new Dictionary<int, string?>();
        while (true)
        {
            foreach (var node in pending.ToList())
            {
                if (!node.IsRunning)
                    throw new InvalidOperationException($"{node} is not running ({node.Process?.ExitDescription ?? "never started"})");
                string? mode = await ModeAsync(node);
                last[node.Id] = mode;
                if (mode == "standalone")
                    throw new InvalidOperationException($"{node} is configured as a member of a {Nodes.Count}-node ensemble but srvr says Mode: standalone");
                if (node.ServesAsExpected(mode)) pending.Remove(node);
            }
            if (pending.Count == 0) return;
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"after {timeout.TotalSeconds:F0} s these members do not serve in their role: "
                                           + string.Join("; ", pending.Select(n => $"{n} srvr Mode: {last.GetValueOrDefault(n.Id) ?? "(none: not serving or no answer)"}")));
            }
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>
    /// Waits until exactly one running voter says leader and every other running voter says follower, and returns
    /// the leader. Only members this cluster believes are running are asked.
    /// </summary>
    public async Task<EnsembleNode> WaitForLeaderAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        string state = "";
        while (true)
        {
            var running = Voters.Where(n => n.IsRunning).ToList();
            var modes = new List<(EnsembleNode Node, string? Mode)>();
            foreach (var node in running) modes.Add((node, await ModeAsync(node)));
            var leaders = modes.Where(m => m.Mode == "leader").ToList();
            if (leaders.Count == 1 && modes.All(m => m.Mode is "leader" or "follower")) return leaders[0].Node;
            state = string.Join(", ", modes.Select(m => $"node {m.Node.Id}: {m.Mode ?? "not serving"}"));
            if (watch.Elapsed > timeout)
                throw new TimeoutException($"no single leader among the running voters within {timeout.TotalSeconds:F0} s ({state})");
            await Task.Delay(PollInterval);
        }
    }

    /// <summary>SIGKILL to the member's process (by its pid), and a bounded wait until it is gone.</summary>
    public async Task KillAsync(EnsembleNode node)
    {
        if (node.Process is null || node.Process.HasExited) throw new InvalidOperationException($"{node} is not running");
        int pid = node.Process.Pid;
        await node.Process.KillAsync();
        node.Log.Append($"===== {node} pid {pid} SIGKILLed by the test at {DateTime.UtcNow:HH:mm:ss.fff} =====");
        _trace($"SIGKILLed {node} (pid {pid})");
    }

    /// <summary>Starts a stopped member again on the same config and dataDir and waits until it serves in its role.</summary>
    public async Task RestartAsync(EnsembleNode node, TimeSpan timeout)
    {
        if (node.IsRunning) throw new InvalidOperationException($"{node} is still running");
        node.Process?.Dispose();
        var watch = Stopwatch.StartNew();
        Launch(node);
        await WaitReadyAsync([node], timeout);
        _trace($"restarted {node} as pid {node.Process!.Pid}; serving after {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>The last lines each member wrote, for failure reports.</summary>
    public string DescribeLogs(int lines = 60) =>
        string.Join('\n', Nodes.Select(n => $"--- {Kind} {n}: last {lines} lines of its log ---\n{n.Log.Tail(lines)}"));

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var node in Nodes)
        {
            if (node.Process is null) continue;
            try
            {
                await node.Process.KillAsync();
            }
            catch (InvalidOperationException e)
            {
                _trace(e.Message);
            }
            node.Process.Dispose();
        }
        // A killed process may hold a file for a moment; retry a few times.
        for (int attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await Task.Delay(200);
            }
        }
    }
}
