// scripts/bench: load any ZooKeeper-protocol server, or (--compare) Apache ZooKeeper and Coordinator side by side.
using System.Globalization;
using Coordinator.Bench;

// Before the first socket: the load generator's socket completions run on the event threads (its reply handling never
// blocks), sparing a thread-pool hop per reply on the cores it shares with the server. The servers it starts do not
// inherit this (ChildProcesses.Start removes it), so each runs as an operator would start it.
if (Environment.GetEnvironmentVariable(ChildProcesses.InlineCompletionsVariable) is null)
    Environment.SetEnvironmentVariable(ChildProcesses.InlineCompletionsVariable, "1");

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
bool sweep = o.ClientCounts.Count > 1;
Console.WriteLine(string.Create(ic, $"clients={string.Join(',', o.ClientCounts)} inflight={o.InFlight} value={o.ValueBytes}B duration={o.DurationSeconds}s warmup={o.WarmupSeconds}s read%={o.ReadPercent} watchers={o.Watchers} znodes={o.Znodes}"));
var loadWorkloads = o.Workloads.Where(w => w != "restart").ToList();
if (o.Grpc)
{
    await GrpcComparison.RunAsync(o, Environment.GetEnvironmentVariable("COORDINATOR_HOST_DLL") ?? Path.Combine(AppContext.BaseDirectory, "..", "server", "Coordinator.Host.dll"));
    return 0;
}
if (o.Ensemble > 0)
{
    await EnsembleBench.RunAsync(o, Environment.GetEnvironmentVariable("COORDINATOR_HOST_DLL") ?? Path.Combine(AppContext.BaseDirectory, "..", "server", "Coordinator.Host.dll"));
    return 0;
}
if (!o.Compare)
{
    if (o.Workloads.Contains("restart")) Console.WriteLine("restart needs --compare (the benchmark must start the servers to restart them); skipped");
    var (host, port) = Split(o.Server);
    await Runner.SetupAsync(o, host, port);
    foreach (var r in RunAll(host, port, o.ServerPid)) Print("server", await r());
    return 0;
}

string hostDll = Environment.GetEnvironmentVariable("COORDINATOR_HOST_DLL") ?? Path.Combine(AppContext.BaseDirectory, "..", "server", "Coordinator.Host.dll");
var starters = new (string Name, Func<Task<ServerLauncher>> Start)[]
{
    ("zookeeper", () => ServerLauncher.StartZooKeeperAsync(o.ZooKeeperHeap)),
    ("coordinator", () => ServerLauncher.StartCoordinatorAsync(hostDll)),
};
var results = new Dictionary<(string Server, string Label), List<RunResult>>();
var restarts = new Dictionary<string, List<RestartResult>>();
// A B A B: each server runs every workload once per round, alternating, so drift in the machine hits both alike.
for (int round = 0; round < o.Rounds; round++)
{
    foreach (var (name, start) in starters)
    {
        if (loadWorkloads.Count > 0)
        {
            await using var server = await start();
            await Runner.SetupAsync(o, "127.0.0.1", server.Port);
            foreach (var run in RunAll("127.0.0.1", server.Port, server.Pid))
            {
                var r = await run();
                Print($"{server.Name} round {round + 1}", r);
                if (!results.TryGetValue((server.Name, r.Label(sweep)), out var list)) results[(server.Name, r.Label(sweep))] = list = [];
                list.Add(r);
            }
        }
        if (o.Workloads.Contains("restart"))
        {
            // A fresh server for the load, so earlier workloads' znodes do not count.
            await using var server = await start();
            await Runner.SetupAsync(o, "127.0.0.1", server.Port);
            var r = await SpecialRuns.RestartAsync(o, server);
            Console.WriteLine(string.Create(ic,
                $"{server.Name + " round " + (round + 1),-22} restart       loaded {r.Loaded} znodes in {r.LoadSeconds:0.0}s (zk_znode_count {r.ZnodeCount})  rss {r.RssMiB:0} MiB  restart to serving {r.RestartSeconds:0.00}s  rss after restart {r.RssAfterRestartMiB:0} MiB  errors {r.Errors}"));
            if (!restarts.TryGetValue(server.Name, out var list)) restarts[server.Name] = list = [];
            list.Add(r);
        }
    }
}

Console.WriteLine();
if (results.Count > 0)
{
    Console.WriteLine("| workload | ZooKeeper ops/s | Coordinator ops/s | ops/s ratio | p99 ratio | CPU-s/op ratio | fsyncs/s (zk/coord) | errors (zk/coord) |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|");
    foreach (var label in results.Keys.Where(k => k.Server == "coordinator").Select(k => k.Label))
    {
        var zk = results[("zookeeper", label)];
        var co = results[("coordinator", label)];
        double zkOps = zk.Average(r => r.OpsPerSecond), coOps = co.Average(r => r.OpsPerSecond);
        double zkP99 = zk.Average(r => r.P99Ms), coP99 = co.Average(r => r.P99Ms);
        double zkCpu = zk.Sum(r => r.ServerCpuSeconds) / Math.Max(1, zk.Sum(r => r.Ops));
        double coCpu = co.Sum(r => r.ServerCpuSeconds) / Math.Max(1, co.Sum(r => r.Ops));
        string fsyncs = zk.Any(r => r.Fsyncs > 0) || co.Any(r => r.Fsyncs > 0)
            ? string.Create(ic, $"{zk.Average(r => r.FsyncsPerSecond):0}/{co.Average(r => r.FsyncsPerSecond):0}") : "-";
        Console.WriteLine(string.Create(ic,
            $"| {label} | {zkOps:0} | {coOps:0} | {coOps / zkOps:0.00}x | {coP99 / Math.Max(zkP99, 0.001):0.00} | {coCpu / Math.Max(zkCpu, 1e-12):0.00} | {fsyncs} | {zk.Sum(r => r.Errors)}/{co.Sum(r => r.Errors)} |"));
    }
}
if (restarts.Count == 2)
{
    Console.WriteLine();
    Console.WriteLine("| znodes | ZooKeeper RSS MiB | Coordinator RSS MiB | RSS ratio | ZooKeeper restart s | Coordinator restart s | restart ratio | errors (zk/coord) |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|");
    var zk = restarts["zookeeper"];
    var co = restarts["coordinator"];
    double zkRss = zk.Average(r => r.RssMiB), coRss = co.Average(r => r.RssMiB);
    double zkRestart = zk.Average(r => r.RestartSeconds), coRestart = co.Average(r => r.RestartSeconds);
    Console.WriteLine(string.Create(ic,
        $"| {o.Znodes} x {o.ValueBytes} B | {zkRss:0} | {coRss:0} | {coRss / zkRss:0.00} | {zkRestart:0.00} | {coRestart:0.00} | {coRestart / zkRestart:0.00} | {zk.Sum(r => r.Errors)}/{co.Sum(r => r.Errors)} |"));
}
return 0;

IEnumerable<Func<Task<RunResult>>> RunAll(string host, int port, int? pid)
{
    foreach (var name in loadWorkloads)
    {
        if (name == "watch")
        {
            yield return () => SpecialRuns.WatchAsync(o, host, port, pid);
            continue;
        }
        foreach (int clients in o.ClientCounts)
        {
            if (name == "churn") yield return () => SpecialRuns.ChurnAsync(o, host, port, pid, clients);
            else
            {
                var w = Workload.All.First(x => x.Name == name);
                yield return () => Runner.RunAsync(o, w, host, port, pid, clients);
            }
        }
    }
}

static (string, int) Split(string hostPort)
{
    int colon = hostPort.LastIndexOf(':');
    return (hostPort[..colon], int.Parse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture));
}

void Print(string who, RunResult r) => Console.WriteLine(string.Create(ic,
    $"{who,-22} {r.Label(true),-16} {r.OpsPerSecond,10:0} ops/s  p50 {r.P50Ms,7:0.000} ms  p99 {r.P99Ms,7:0.000} ms  p99.9 {r.P999Ms,7:0.000} ms  errors {r.Errors}  fsyncs/s {r.FsyncsPerSecond:0}  server cpu {r.ServerCpuSeconds:0.0}s rss {r.ServerRssMiB:0} MiB"));
