// scripts/bench --ensemble N [--compare]: the workloads and the fail-over figure on N-node ensembles, A B A B.
using System.Globalization;

namespace Coordinator.Bench;

internal static class EnsembleBench
{
    public const string FailoverName = "failover";

    private static readonly CultureInfo Ic = CultureInfo.InvariantCulture;

    public static async Task RunAsync(BenchOptions o, string hostDll)
    {
        var starters = new List<(string Name, Func<Task<EnsembleLauncher>> Start)>();
        if (o.Compare) starters.Add(("zookeeper", () => EnsembleLauncher.StartZooKeeperAsync(o.Ensemble, o.ZooKeeperHeap)));
        starters.Add(("coordinator", () => EnsembleLauncher.StartCoordinatorAsync(o.Ensemble, hostDll)));
        bool sweep = o.ClientCounts.Count > 1;
        var results = new Dictionary<(string Server, string Label), List<RunResult>>();
        var failovers = new Dictionary<string, List<FailoverResult?>>();
        var standalone = new HashSet<string>();
        for (int round = 0; round < o.Rounds; round++)
        {
            foreach (var (name, start) in starters)
            {
                // A fresh ensemble per server and round: the fail-over run leaves one node dead.
                await using var ensemble = await start();
                string who = $"{name} x{o.Ensemble} round {round + 1}";
                var modes = await ensemble.ModesAsync(ensemble.Nodes);
                Console.WriteLine($"{who}: {string.Join(", ", ensemble.Nodes.Select((n, i) => $"server.{n.Id} 127.0.0.1:{n.Port} pid {n.Process!.Id} {modes[i]}"))}");
                if (ensemble.Standalone)
                {
                    standalone.Add(name);
                    Console.WriteLine($"{who}: every node runs standalone (no replication): load figures are {o.Ensemble} independent servers");
                }
                // Standalone nodes share nothing: each needs its own setup.
                if (ensemble.Standalone) foreach (var (host, port) in ensemble.Endpoints) await Runner.SetupAsync(o, host, port);
                else await Runner.SetupAsync(o, ensemble.Endpoints);
                foreach (var workload in o.Workloads.Where(w => w != FailoverName))
                {
                    var w = Workload.All.First(x => x.Name == workload);
                    foreach (int clients in o.ClientCounts)
                    {
                        var r = await Runner.RunAsync(o, w, ensemble.Endpoints, ensemble.Pids, clients);
                        Print(who, r);
                        if (!results.TryGetValue((name, r.Label(sweep)), out var list)) results[(name, r.Label(sweep))] = list = [];
                        list.Add(r);
                    }
                }
                if (o.Workloads.Contains(FailoverName))
                {
                    var f = await Failover.RunAsync(o, ensemble);
                    Console.WriteLine(f is null
                        ? $"{who,-26} failover         no leader to kill (every node standalone)"
                        : string.Create(Ic, $"{who,-26} failover         kill leader -> first write {f.FirstWriteSeconds:0.000} s, -> all surviving nodes leader/follower {f.AllServingSeconds:0.000} s; writes through the old leader {f.WritesBefore}, through the new one {f.WritesAfter}; lost around the kill {f.GapErrors}"));
                    if (!failovers.TryGetValue(name, out var list)) failovers[name] = list = [];
                    list.Add(f);
                }
            }
        }
        Console.WriteLine();
        Console.WriteLine($"{o.Ensemble}-node ensembles, sessions round-robin over the nodes; server CPU, RSS and fsyncs are summed over the nodes{(standalone.Count > 0 ? $"; standalone nodes (no replication): {string.Join(", ", standalone)}" : "")}.");
        if (o.Compare) PrintComparison(results, failovers);
        else PrintSingle(results, failovers);
    }

    private static void PrintComparison(Dictionary<(string Server, string Label), List<RunResult>> results, Dictionary<string, List<FailoverResult?>> failovers)
    {
        Console.WriteLine("| workload | ZooKeeper ops/s | Coordinator ops/s | ops/s ratio | p50 ms (zk/coord) | p99 ms (zk/coord) | p99.9 ms (zk/coord) | p50 / p99 / p99.9 ratio | CPU-s/op ratio | RSS MiB (zk/coord) | fsyncs/s (zk/coord) | errors (zk/coord) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var label in results.Keys.Where(k => k.Server == "coordinator").Select(k => k.Label))
        {
            var zk = results[("zookeeper", label)];
            var co = results[("coordinator", label)];
            double zkOps = zk.Average(r => r.OpsPerSecond), coOps = co.Average(r => r.OpsPerSecond);
            double zk50 = zk.Average(r => r.P50Ms), co50 = co.Average(r => r.P50Ms);
            double zk99 = zk.Average(r => r.P99Ms), co99 = co.Average(r => r.P99Ms);
            double zk999 = zk.Average(r => r.P999Ms), co999 = co.Average(r => r.P999Ms);
            double zkCpu = zk.Sum(r => r.ServerCpuSeconds) / Math.Max(1, zk.Sum(r => r.Ops));
            double coCpu = co.Sum(r => r.ServerCpuSeconds) / Math.Max(1, co.Sum(r => r.Ops));
            Console.WriteLine(string.Create(Ic,
                $"| {label} | {zkOps:0} | {coOps:0} | {coOps / zkOps:0.00}x | {zk50:0.00}/{co50:0.00} | {zk99:0.00}/{co99:0.00} | {zk999:0.00}/{co999:0.00} | {Ratio(co50, zk50)} / {Ratio(co99, zk99)} / {Ratio(co999, zk999)} | {coCpu / Math.Max(zkCpu, 1e-12):0.00} | {zk.Average(r => r.ServerRssMiB):0}/{co.Average(r => r.ServerRssMiB):0} | {zk.Average(r => r.FsyncsPerSecond):0}/{co.Average(r => r.FsyncsPerSecond):0} | {zk.Sum(r => r.Errors)}/{co.Sum(r => r.Errors)} |"));
        }
        if (failovers.Count == 0) return;
        var zkF = failovers.GetValueOrDefault("zookeeper") ?? [];
        var coF = failovers.GetValueOrDefault("coordinator") ?? [];
        string zkFirst = Seconds(zkF, f => f.FirstWriteSeconds), coFirst = Seconds(coF, f => f.FirstWriteSeconds);
        string zkAll = Seconds(zkF, f => f.AllServingSeconds), coAll = Seconds(coF, f => f.AllServingSeconds);
        Console.WriteLine(string.Create(Ic,
            $"| failover: kill leader -> first write (s) | {zkFirst} | {coFirst} | {SecondsRatio(coF, zkF, f => f.FirstWriteSeconds)} | - | - | - | - | - | - | - | lost around the kill {Lost(zkF)}/{Lost(coF)} |"));
        Console.WriteLine(string.Create(Ic,
            $"| failover: kill leader -> all nodes leader/follower (s) | {zkAll} | {coAll} | {SecondsRatio(coF, zkF, f => f.AllServingSeconds)} | - | - | - | - | - | - | - | - |"));
    }

    private static void PrintSingle(Dictionary<(string Server, string Label), List<RunResult>> results, Dictionary<string, List<FailoverResult?>> failovers)
    {
        Console.WriteLine("| workload | Coordinator ops/s | p50 ms | p99 ms | p99.9 ms | CPU-s/op | RSS MiB | fsyncs/s | errors |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var ((_, label), co) in results)
        {
            Console.WriteLine(string.Create(Ic,
                $"| {label} | {co.Average(r => r.OpsPerSecond):0} | {co.Average(r => r.P50Ms):0.00} | {co.Average(r => r.P99Ms):0.00} | {co.Average(r => r.P999Ms):0.00} | {co.Sum(r => r.ServerCpuSeconds) / Math.Max(1, co.Sum(r => r.Ops)) * 1e6:0.0} µs | {co.Average(r => r.ServerRssMiB):0} | {co.Average(r => r.FsyncsPerSecond):0} | {co.Sum(r => r.Errors)} |"));
        }
        if (failovers.GetValueOrDefault("coordinator") is { } coF)
        {
            Console.WriteLine($"| failover: kill leader -> first write (s) | {Seconds(coF, f => f.FirstWriteSeconds)} | - | - | - | - | - | - | lost around the kill {Lost(coF)} |");
            Console.WriteLine($"| failover: kill leader -> all nodes leader/follower (s) | {Seconds(coF, f => f.AllServingSeconds)} | - | - | - | - | - | - | - |");
        }
    }

    private static string Ratio(double coordinator, double zookeeper) => (coordinator / Math.Max(zookeeper, 0.001)).ToString("0.00", Ic);

    /// <summary>The mean (min-max) over the rounds that had a leader to kill; "n/a" when none had (standalone nodes).</summary>
    private static string Seconds(List<FailoverResult?> runs, Func<FailoverResult, double> figure)
    {
        var values = runs.OfType<FailoverResult>().Select(figure).ToList();
        if (values.Count == 0) return "n/a (no leader)";
        if (values.Any(double.IsNaN)) return "not within 60 s";
        // The spread matters here: one slow election among fast ones is the finding, and a mean hides it.
        return values.Count == 1 ? values[0].ToString("0.000", Ic)
            : string.Create(Ic, $"{values.Average():0.000} ({values.Min():0.000}-{values.Max():0.000})");
    }

    private static string SecondsRatio(List<FailoverResult?> coordinator, List<FailoverResult?> zookeeper, Func<FailoverResult, double> figure)
    {
        var co = coordinator.OfType<FailoverResult>().Select(figure).ToList();
        var zk = zookeeper.OfType<FailoverResult>().Select(figure).ToList();
        if (co.Count == 0 || zk.Count == 0 || co.Any(double.IsNaN) || zk.Any(double.IsNaN)) return "-";
        return $"{(co.Average() / Math.Max(zk.Average(), 1e-6)).ToString("0.00", Ic)}x";
    }

    private static string Lost(List<FailoverResult?> runs) =>
        runs.OfType<FailoverResult>().Any() ? runs.OfType<FailoverResult>().Sum(f => f.GapErrors).ToString(Ic) : "-";

    private static void Print(string who, RunResult r) => Console.WriteLine(string.Create(Ic,
        $"{who,-26} {r.Label(true),-16} {r.OpsPerSecond,10:0} ops/s  p50 {r.P50Ms,7:0.000} ms  p99 {r.P99Ms,7:0.000} ms  p99.9 {r.P999Ms,7:0.000} ms  errors {r.Errors}  fsyncs/s {r.FsyncsPerSecond:0}  server cpu {r.ServerCpuSeconds:0.0}s rss {r.ServerRssMiB:0} MiB"));
}
