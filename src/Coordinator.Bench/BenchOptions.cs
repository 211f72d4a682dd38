// Command-line options of scripts/bench, with their defaults.
using System.Globalization;

namespace Coordinator.Bench;

internal sealed class BenchOptions
{
    public string Server { get; set; } = "127.0.0.1:2181";
    public int? ServerPid { get; set; }
    public List<string> Workloads { get; set; } = ["create", "set", "get", "exists", "mixed", "createdelete", "multi", "watch", "churn"];

    /// <summary>Each workload runs once per client count (e.g. 1,8,64 for group-commit scaling).</summary>
    public List<int> ClientCounts { get; set; } = [16];

    /// <summary>The most sessions any run opens (setup creates one znode per possible client).</summary>
    public int Clients => ClientCounts.Max();

    public int Znodes { get; set; } = 1_000_000;
    public int Watchers { get; set; } = 200;
    public int InFlight { get; set; } = 8;

    /// <summary>
    /// Offered load in requests per second over all lanes (0: as fast as each lane's round trip allows). With a rate,
    /// both servers of a --compare see the same load, so their latencies compare at equal load.
    /// </summary>
    public double Rate { get; set; }
    public int ValueBytes { get; set; } = 100;
    public double DurationSeconds { get; set; } = 5;
    public double WarmupSeconds { get; set; } = 1;
    public int ReadPercent { get; set; } = 90;
    public int Rounds { get; set; } = 2;
    public bool Compare { get; set; }

    /// <summary>Nodes per ensemble (0: standalone servers); with --compare both servers run as ensembles of this size.</summary>
    public int Ensemble { get; set; }

    /// <summary>Whether --workloads was given (an ensemble run has its own default list).</summary>
    public bool WorkloadsGiven { get; private set; }
    public bool Grpc { get; set; }
    public int Changes { get; set; } = 500;
    public string ZooKeeperHeap { get; set; } = "2g";
    /// <summary>Unique per run (each workload × client count), so runs never collide on the znodes they create.</summary>
    public string RunId { get; private set; } = NewRunId();

    public void NextRun() => RunId = NewRunId();

    private static string NewRunId() => Guid.NewGuid().ToString("N")[..8];
    public byte[] Value => _value ??= Enumerable.Range(0, ValueBytes).Select(i => (byte)('a' + i % 26)).ToArray();
    private byte[]? _value;

    public const string Usage = """
        scripts/bench [--compare] [options]
        scripts/bench --micro [BenchmarkDotNet arguments]   micro-benchmarks of jute, the data tree and the txn log
          --server HOST:PORT     server to load (default 127.0.0.1:2181; ignored with --compare)
          --server-pid PID       report this process's CPU and RSS
          --compare              start Apache ZooKeeper 3.8 and Coordinator side by side, alternate A B A B, print ratios
          --ensemble N           start N-node ensembles instead (Coordinator's; with --compare also ZooKeeper's, A B A B),
                                 sessions round-robin over the nodes; workloads create,set,get,exists,mixed,failover by
                                 default (any of create..multi, and failover: SIGKILL the leader under writes on every
                                 node, time to the first write through a new leader and to every node serving again)
          --workloads a,b,c      create,set,get,exists,mixed,createdelete,multi,watch,churn (default), and restart
                                 watch: one writer, --watchers sessions watching one znode; notification latency
                                 churn: sessions connected and closed per second
                                 restart: load --znodes znodes, report RSS, kill -9, time until serving them again
          --clients N[,N...]     sessions, one run per count (16)   --inflight N   requests in flight per session (8)
          --znodes N             znodes the restart workload loads (1000000)   --watchers N   watch sessions (200)
          --grpc                 start Coordinator with its gRPC API; run each workload through the wire protocol and
                                 through gRPC, then watch fan-out through both; print gRPC/wire ratios
          --changes N            writes every watcher sees in the --grpc fan-out (500)
          --value-bytes N        znode value size (100) --read-percent N  reads in the mixed workload (90)
          --rate R               offer R requests/s in total, paced evenly over the lanes, instead of sending each next
                                 request as soon as the last is answered: latency at the same load on both servers
                                 (a late request counts from when it was due, so a server that falls behind shows it)
          --duration S           seconds measured (5)   --warmup S     seconds before measuring (1)
          --rounds N             rounds per server with --compare or --ensemble (2)
          --zk-heap SIZE         Apache ZooKeeper's -Xmx with --compare, per node with --ensemble (2g)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            double Double() => double.Parse(Value(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--server": o.Server = Value(); break;
                case "--server-pid": o.ServerPid = Int(); break;
                case "--compare": o.Compare = true; break;
                case "--grpc": o.Grpc = true; break;
                case "--changes": o.Changes = Int(); break;
                case "--workloads": o.Workloads = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries)]; o.WorkloadsGiven = true; break;
                case "--ensemble": o.Ensemble = Int(); break;
                case "--clients": o.ClientCounts = [.. Value().Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))]; break;
                case "--znodes": o.Znodes = Int(); break;
                case "--watchers": o.Watchers = Int(); break;
                case "--inflight": o.InFlight = Int(); break;
                case "--rate": o.Rate = Double(); break;
                case "--value-bytes": o.ValueBytes = Int(); break;
                case "--duration": o.DurationSeconds = Double(); break;
                case "--warmup": o.WarmupSeconds = Double(); break;
                case "--read-percent": o.ReadPercent = Int(); break;
                case "--rounds": o.Rounds = Int(); break;
                case "--zk-heap": o.ZooKeeperHeap = Value(); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        if (o.Ensemble != 0 && o.Ensemble is < 2 or > 9) throw new ArgumentException("--ensemble needs 2 to 9 nodes");
        if (o.Ensemble > 0 && !o.WorkloadsGiven) o.Workloads = ["create", "set", "get", "exists", "mixed", EnsembleBench.FailoverName];
        foreach (var w in o.Workloads)
        {
            if (o.Ensemble > 0 && Workload.All.All(x => x.Name != w) && w != EnsembleBench.FailoverName)
                throw new ArgumentException($"workload {w} does not run on an ensemble (there: {string.Join(',', Workload.All.Select(x => x.Name))},{EnsembleBench.FailoverName})");
            if (o.Ensemble == 0 && Workload.All.All(x => x.Name != w) && !SpecialRuns.Names.Contains(w)) throw new ArgumentException($"unknown workload {w}");
        }
        return o;
    }
}
