// Command-line options of scripts/bench, with their defaults.
using System.Globalization;

namespace Coordinator.Bench;

internal sealed class BenchOptions
{
    public string Server { get; set; } = "127.0.0.1:2181";
    public int? ServerPid { get; set; }
    public List<string> Workloads { get; set; } = ["create", "set", "get", "exists", "mixed", "createdelete", "multi"];
    public int Clients { get; set; } = 16;
    public int InFlight { get; set; } = 8;
    public int ValueBytes { get; set; } = 100;
    public double DurationSeconds { get; set; } = 5;
    public double WarmupSeconds { get; set; } = 1;
    public int ReadPercent { get; set; } = 90;
    public int Rounds { get; set; } = 2;
    public bool Compare { get; set; }
    public bool Grpc { get; set; }
    public int Watchers { get; set; } = 64;
    public int Changes { get; set; } = 500;
    public string ZooKeeperHeap { get; set; } = "1g";
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..8];
    public byte[] Value => _value ??= Enumerable.Range(0, ValueBytes).Select(i => (byte)('a' + i % 26)).ToArray();
    private byte[]? _value;

    public const string Usage = """
        scripts/bench [--compare] [options]
          --server HOST:PORT     server to load (default 127.0.0.1:2181; ignored with --compare)
          --server-pid PID       report this process's CPU and RSS
          --compare              start Apache ZooKeeper 3.8 and Coordinator side by side, alternate A B A B, print ratios
          --grpc                 start Coordinator with its gRPC API; run each workload through the wire protocol and
                                 through gRPC, then watch fan-out through both; print gRPC/wire ratios
          --watchers N           watchers of one znode in the fan-out (64)  --changes N  writes they all see (500)
          --workloads a,b,c      create,set,get,exists,mixed,createdelete,multi (default: all)
          --clients N            sessions (16)          --inflight N   requests in flight per session (8)
          --value-bytes N        znode value size (100) --read-percent N  reads in the mixed workload (90)
          --duration S           seconds measured (5)   --warmup S     seconds before measuring (1)
          --rounds N             rounds per server with --compare (2)
          --zk-heap SIZE         Apache ZooKeeper's -Xmx with --compare (1g)
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
                case "--watchers": o.Watchers = Int(); break;
                case "--changes": o.Changes = Int(); break;
                case "--workloads": o.Workloads = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries)]; break;
                case "--clients": o.Clients = Int(); break;
                case "--inflight": o.InFlight = Int(); break;
                case "--value-bytes": o.ValueBytes = Int(); break;
                case "--duration": o.DurationSeconds = Double(); break;
                case "--warmup": o.WarmupSeconds = Double(); break;
                case "--read-percent": o.ReadPercent = Int(); break;
                case "--rounds": o.Rounds = Int(); break;
                case "--zk-heap": o.ZooKeeperHeap = Value(); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        foreach (var w in o.Workloads)
            if (Workload.All.All(x => x.Name != w)) throw new ArgumentException($"unknown workload {w}");
        return o;
    }
}
