// scripts/bench: load any ZooKeeper-protocol server, or (--compare) Apache ZooKeeper and Coordinator side by side.
using System.Globalization;
using Coordinator.Bench;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions o;
try
{
    o = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

var ic = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(ic, $"clients={o.Clients} inflight={o.InFlight} value={o.ValueBytes}B duration={o.DurationSeconds}s warmup={o.WarmupSeconds}s read%={o.ReadPercent}"));
if (o.Grpc)
{
    await GrpcComparison.RunAsync(o, Environment.GetEnvironmentVariable("COORDINATOR_HOST_DLL") ?? Path.Combine(AppContext.BaseDirectory, "..", "server", "Coordinator.Host.dll"));
    return 0;
}
if (!o.Compare)
{
    var (host, port) = Split(o.Server);
    await Runner.SetupAsync(o, host, port);
    foreach (var w in o.Workloads.Select(n => Workload.All.First(x => x.Name == n)))
        Print("server", await Runner.RunAsync(o, w, host, port, o.ServerPid));
    return 0;
}

string hostDll = Environment.GetEnvironmentVariable("COORDINATOR_HOST_DLL") ?? Path.Combine(AppContext.BaseDirectory, "..", "server", "Coordinator.Host.dll");
var results = new Dictionary<(string Server, string Workload), List<RunResult>>();
// A B A B: each server runs every workload once per round, alternating, so drift in the machine hits both alike.
for (int round = 0; round < o.Rounds; round++)
{
    foreach (var start in new Func<Task<ServerLauncher>>[] { () => ServerLauncher.StartZooKeeperAsync(o.ZooKeeperHeap), () => ServerLauncher.StartCoordinatorAsync(hostDll) })
    {
        await using var server = await start();
        await Runner.SetupAsync(o, "127.0.0.1", server.Port);
        foreach (var w in o.Workloads.Select(n => Workload.All.First(x => x.Name == n)))
        {
            var r = await Runner.RunAsync(o, w, "127.0.0.1", server.Port, server.Pid);
            Print($"{server.Name} round {round + 1}", r);
            if (!results.TryGetValue((server.Name, w.Name), out var list)) results[(server.Name, w.Name)] = list = [];
            list.Add(r);
        }
    }
}

Console.WriteLine();
Console.WriteLine("| workload | ZooKeeper ops/s | Coordinator ops/s | ops/s ratio | p99 ratio | CPU-s/op ratio | errors (zk/coord) |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var w in o.Workloads)
{
    var zk = results[("zookeeper", w)];
    var co = results[("coordinator", w)];
    double zkOps = zk.Average(r => r.OpsPerSecond), coOps = co.Average(r => r.OpsPerSecond);
    double zkP99 = zk.Average(r => r.P99Ms), coP99 = co.Average(r => r.P99Ms);
    double zkCpu = zk.Sum(r => r.ServerCpuSeconds) / Math.Max(1, zk.Sum(r => r.Ops));
    double coCpu = co.Sum(r => r.ServerCpuSeconds) / Math.Max(1, co.Sum(r => r.Ops));
    Console.WriteLine(string.Create(ic,
        $"| {w} | {zkOps:0} | {coOps:0} | {coOps / zkOps:0.00}x | {coP99 / Math.Max(zkP99, 0.001):0.00} | {coCpu / Math.Max(zkCpu, 1e-12):0.00} | {zk.Sum(r => r.Errors)}/{co.Sum(r => r.Errors)} |"));
}
return 0;

static (string, int) Split(string hostPort)
{
    int colon = hostPort.LastIndexOf(':');
    return (hostPort[..colon], int.Parse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture));
}

void Print(string who, RunResult r) => Console.WriteLine(string.Create(ic,
    $"{who,-22} {r.Workload,-13} {r.OpsPerSecond,10:0} ops/s  p50 {r.P50Ms,7:0.000} ms  p99 {r.P99Ms,7:0.000} ms  p99.9 {r.P999Ms,7:0.000} ms  errors {r.Errors}  server cpu {r.ServerCpuSeconds:0.0}s rss {r.ServerRssMiB:0} MiB"));
