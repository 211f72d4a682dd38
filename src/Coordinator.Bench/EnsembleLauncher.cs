// Starts an N-node ensemble of Apache ZooKeeper 3.8 or Coordinator on free loopback ports, one process per node.
using System.Diagnostics;
using System.Globalization;

namespace Coordinator.Bench;

/// <summary>
/// Each node gets the standalone benchmark's settings (tickTime 2000, forceSync on, every four-letter word, no admin
/// server, metrics on an OS-chosen port) plus initLimit 10, syncLimit 5, the server.N lines of all nodes with free
/// quorum and election ports, and dataDir/myid: zoo.cfg as ZooKeeper wants it, and as Coordinator reads it.
/// </summary>
internal sealed class EnsembleLauncher : IAsyncDisposable
{
    /// <summary>How long the ensemble has to elect a leader and serve on every node, at start and after a kill.</summary>
    public static readonly TimeSpan QuorumWait = TimeSpan.FromSeconds(60);

    internal sealed class Node(int id, int port, ProcessStartInfo start)
    {
        public int Id { get; } = id;
        public int Port { get; } = port;
        public ProcessStartInfo Start { get; } = start;
        public Process? Process { get; set; }
        public bool Alive => Process is { HasExited: false };
    }

    private readonly string _dir;
    private readonly List<Node> _nodes;

    private EnsembleLauncher(string name, string dir, List<Node> nodes)
    {
        Name = name;
        _dir = dir;
        _nodes = nodes;
    }

    public string Name { get; }
    public IReadOnlyList<Node> Nodes => _nodes;
    public IReadOnlyList<(string Host, int Port)> Endpoints => [.. _nodes.Where(n => n.Alive).Select(n => ("127.0.0.1", n.Port))];
    public IReadOnlyList<int> Pids => [.. _nodes.Where(n => n.Alive).Select(n => n.Process!.Id)];

    /// <summary>
    /// True when every node reported standalone: Coordinator before replication is wired in reads the server.N lines
    /// but runs each node on its own. Load figures then are N independent servers, and there is no leader to kill.
    /// </summary>
    public bool Standalone { get; private set; }

    public static Task<EnsembleLauncher> StartZooKeeperAsync(int size, string heap) =>
        StartAsync("zookeeper", size, (dir, config) =>
        {
            File.WriteAllText(Path.Combine(dir, "zoo.cfg"), ServerLauncher.ForZooKeeper(config));
            return ServerLauncher.ZooKeeperProcess(dir, heap);
        });

    public static Task<EnsembleLauncher> StartCoordinatorAsync(int size, string hostDll) =>
        StartAsync("coordinator", size, (dir, config) =>
        {
            File.WriteAllText(Path.Combine(dir, "zoo.cfg"), config);
            return ServerLauncher.CoordinatorProcess(hostDll, Path.Combine(dir, "zoo.cfg"));
        });

    private static async Task<EnsembleLauncher> StartAsync(string name, int size, Func<string, string, ProcessStartInfo> write)
    {
        string dir = ChildProcesses.CreateTempDir($"bench-{name}-x{size}-");
        int[] ports = ServerLauncher.FreePorts(3 * size);
        var ic = CultureInfo.InvariantCulture;
        string members = string.Join('\n', Enumerable.Range(1, size).Select(id =>
            string.Create(ic, $"server.{id}=127.0.0.1:{ports[size + id - 1]}:{ports[2 * size + id - 1]}")));
        var nodes = new List<Node>();
        for (int id = 1; id <= size; id++)
        {
            string nodeDir = Path.Combine(dir, string.Create(ic, $"node{id}"));
            Directory.CreateDirectory(Path.Combine(nodeDir, "data"));
            File.WriteAllText(Path.Combine(nodeDir, "data", "myid"), string.Create(ic, $"{id}\n"));
            string config = ServerLauncher.Config(nodeDir, ports[id - 1]) + $"\ninitLimit=10\nsyncLimit=5\n{members}\n";
            nodes.Add(new Node(id, ports[id - 1], write(nodeDir, config)));
        }
        var ensemble = new EnsembleLauncher(name, dir, nodes);
        try
        {
            foreach (var n in nodes) n.Process = ChildProcesses.Start(n.Start);
            await ensemble.WaitQuorumAsync(nodes);
            return ensemble;
        }
        catch
        {
            await ensemble.DisposeAsync();
            throw;
        }
    }

    /// <summary>Each node's srvr Mode, null for one that does not answer with one.</summary>
    public async Task<string?[]> ModesAsync(IEnumerable<Node> nodes) =>
        await Task.WhenAll(nodes.Select(n => ServerLauncher.ModeAsync(n.Port)));

    /// <summary>
    /// True when the nodes form a serving ensemble: exactly one leader, and every other node a follower or observer
    /// (or, for Coordinator before replication, every node standalone).
    /// </summary>
    public static bool Serving(string?[] modes) =>
        modes.All(m => m == "standalone") ||
        (modes.Count(m => m == "leader") == 1 && modes.All(m => m is "leader" or "follower" or "observer"));

    private async Task WaitQuorumAsync(IReadOnlyList<Node> nodes)
    {
        var clock = Stopwatch.StartNew();
        string?[] modes = [];
        while (clock.Elapsed < QuorumWait)
        {
            if (nodes.FirstOrDefault(n => !n.Alive) is { } dead)
                throw new InvalidOperationException($"{Name} node {dead.Id} exited with code {dead.Process!.ExitCode}");
            modes = await ModesAsync(nodes);
            if (Serving(modes))
            {
                Standalone = modes.All(m => m == "standalone");
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{Name} ensemble not serving after {QuorumWait.TotalSeconds:0} s: modes {string.Join(", ", modes.Select(m => m ?? "none"))}");
    }

    /// <summary>SIGKILL to one node's process (by the pid started for it), at once; KillAsync reaps it.</summary>
    public static void SigKill(Node node) => node.Process?.Kill(entireProcessTree: false);

    /// <summary>SIGKILL to one node (by the pid started for it), waiting until it is gone; its data stays.</summary>
    public async Task KillAsync(Node node)
    {
        if (node.Process is { } p) await ChildProcesses.KillAsync(p);
        node.Process = null;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var n in _nodes) await KillAsync(n);
        ChildProcesses.DeleteDir(_dir);
    }
}
