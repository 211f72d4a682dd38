// scripts/bench --grpc: one Coordinator, each workload through the wire protocol and through gRPC, then watch fan-out.
using System.Globalization;

namespace Coordinator.Bench;

internal static class GrpcComparison
{
    public static async Task RunAsync(BenchOptions o, string hostDll)
    {
        var ic = CultureInfo.InvariantCulture;
        await using var server = await ServerLauncher.StartCoordinatorAsync(hostDll, grpc: true);
        await Runner.SetupAsync(o, "127.0.0.1", server.Port);
        var grpcUri = new Uri($"http://127.0.0.1:{server.GrpcPort}");
        var rows = new List<(string Workload, RunResult Wire, RunResult Grpc)>();
        foreach (var w in o.Workloads.Where(n => !SpecialRuns.Names.Contains(n)).Select(n => Workload.All.First(x => x.Name == n)))
        {
            var wire = await Runner.RunAsync(o, w, "127.0.0.1", server.Port, server.Pid, o.Clients);
            Print("wire", wire);
            var doors = new List<GrpcDoor>();
            for (int c = 0; c < o.Clients; c++) doors.Add(await GrpcDoor.OpenAsync(grpcUri));
            RunResult grpc;
            try
            {
                grpc = await Runner.RunLanesAsync(o, w, doors.Select(d => (Func<Jute.Records.Request, Task<int>>)d.CallAsync).ToList(), [server.Pid],
                    sequenceBase: 1_000_000_000_000L);
            }
            finally
            {
                foreach (var d in doors) await d.DisposeAsync();
            }
            Print("grpc", grpc);
            rows.Add((w.Name, wire, grpc));
        }
        var fanWire = await FanOut.WireAsync("127.0.0.1", server.Port, o.Watchers, o.Changes);
        var fanGrpc = await FanOut.GrpcAsync("127.0.0.1", server.Port, grpcUri, o.Watchers, o.Changes);
        foreach (var f in new[] { fanWire, fanGrpc })
            Console.WriteLine(string.Create(ic, $"{f.Door,-6} fan-out {f.Watchers} watchers x {f.Changes} changes: {f.Delivered} events in {f.Seconds:0.00} s = {f.EventsPerSecond:0} events/s"));

        Console.WriteLine();
        Console.WriteLine("| workload | wire ops/s | gRPC ops/s | gRPC/wire | wire p99 ms | gRPC p99 ms | server CPU-s/op gRPC/wire | errors (wire/gRPC) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var (name, wire, grpc) in rows)
        {
            double wireCpu = wire.ServerCpuSeconds / Math.Max(1, wire.Ops), grpcCpu = grpc.ServerCpuSeconds / Math.Max(1, grpc.Ops);
            Console.WriteLine(string.Create(ic,
                $"| {name} | {wire.OpsPerSecond:0} | {grpc.OpsPerSecond:0} | {grpc.OpsPerSecond / Math.Max(wire.OpsPerSecond, 1e-9):0.00}x | {wire.P99Ms:0.00} | {grpc.P99Ms:0.00} | {grpcCpu / Math.Max(wireCpu, 1e-12):0.00} | {wire.Errors}/{grpc.Errors} |"));
        }
        Console.WriteLine(string.Create(ic,
            $"| watch fan-out ({o.Watchers} watchers) | {fanWire.EventsPerSecond:0} events/s | {fanGrpc.EventsPerSecond:0} events/s | {fanGrpc.EventsPerSecond / Math.Max(fanWire.EventsPerSecond, 1e-9):0.00}x | | | | |"));
    }

    private static void Print(string door, RunResult r) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{door,-6} {r.Workload,-13} {r.OpsPerSecond,10:0} ops/s  p50 {r.P50Ms,7:0.000} ms  p99 {r.P99Ms,7:0.000} ms  errors {r.Errors}  server cpu {r.ServerCpuSeconds:0.0}s rss {r.ServerRssMiB:0} MiB"));
}
