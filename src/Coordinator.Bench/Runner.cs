// Runs one workload against one server: many sessions, a bounded number of requests in flight each, for a fixed time.
using System.Diagnostics;
using Coordinator.Jute.Records;

namespace Coordinator.Bench;

/// <param name="Fsyncs">Txn-log fsyncs the server made while measured (mntr's zk_cnt_fsynctime), for group-commit figures.</param>
internal sealed record RunResult(string Workload, int Clients, long Ops, double Seconds, double P50Ms, double P99Ms, double P999Ms, long Errors,
    double ServerCpuSeconds, double ServerRssMiB, long Fsyncs = 0)
{
    public double OpsPerSecond => Ops / Seconds;
    public double FsyncsPerSecond => Fsyncs / Seconds;

    /// <summary>The name a result is reported under: the workload, and the client count when several are run.</summary>
    public string Label(bool withClients) => withClients ? $"{Workload}@{Clients}" : Workload;
}

internal static class Runner
{
    public static async Task SetupAsync(BenchOptions o, string host, int port)
    {
        await using var c = await BenchConnection.OpenAsync(host, port, 30000, CancellationToken.None);
        foreach (var r in Workload.Setup(o))
        {
            int err = await c.CallAsync(r);
            if (err is not (0 or -110)) throw new InvalidOperationException($"setup {r.Path} failed with error {err}");
        }
    }

    /// <summary>
    /// Setup through the first node of an ensemble, then waits (10 s at most) until every node sees the last znode:
    /// a follower may apply the commit a moment after the node that took the writes answered.
    /// </summary>
    public static async Task SetupAsync(BenchOptions o, IReadOnlyList<(string Host, int Port)> nodes)
    {
        await SetupAsync(o, nodes[0].Host, nodes[0].Port);
        var last = new PathWatchRequest(Coordinator.Jute.OpCode.Exists, $"{Workload.Root}/s/{o.Clients - 1}", false);
        foreach (var (host, port) in nodes.Skip(1))
        {
            await using var c = await BenchConnection.OpenAsync(host, port, 30000, CancellationToken.None);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (await c.CallAsync(last) != 0)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{host}:{port} does not see the setup's znodes after 10 s");
                await Task.Delay(50);
            }
        }
    }

    public static Task<RunResult> RunAsync(BenchOptions o, Workload w, string host, int port, int? serverPid, int clients) =>
        RunAsync(o, w, [(host, port)], serverPid is { } pid ? [pid] : [], clients);

    /// <summary>
    /// Runs a workload with its sessions spread round-robin over <paramref name="nodes"/> (session c on node c mod n, as
    /// clients of an ensemble spread); CPU and RSS are summed over <paramref name="serverPids"/>, fsyncs over the nodes.
    /// </summary>
    public static async Task<RunResult> RunAsync(BenchOptions o, Workload w, IReadOnlyList<(string Host, int Port)> nodes, IReadOnlyList<int> serverPids, int clients)
    {
        o.NextRun();
        var connections = new BenchConnection[clients];
        for (int c = 0; c < clients; c++)
        {
            var (host, port) = nodes[c % nodes.Count];
            connections[c] = await BenchConnection.OpenAsync(host, port, 30000, CancellationToken.None);
        }
        try
        {
            return await RunLanesAsync(o, w, connections.Select(c => (Func<Request, Task<int>>)c.CallAsync).ToList(), serverPids, mntrAt: nodes);
        }
        finally
        {
            foreach (var c in connections) await c.DisposeAsync();
        }
    }

    /// <summary>
    /// Drives one workload through any door: each client gets --inflight lanes that send the workload's next request
    /// and wait for its result code (0 = ok). Measures after the warmup, for the duration.
    /// </summary>
    /// <param name="sequenceBase">Where lane numbering starts, so two runs of a creating workload in one process name different znodes.</param>
    /// <param name="mntrAt">Where to read the servers' fsync counts (mntr, summed) before and after, for write workloads.</param>
    public static async Task<RunResult> RunLanesAsync(BenchOptions o, Workload w, IReadOnlyList<Func<Request, Task<int>>> clients, IReadOnlyList<int> serverPids,
        long sequenceBase = 0, IReadOnlyList<(string Host, int Port)>? mntrAt = null)
    {
        var histogram = new Histogram();
        long ops = 0, errors = 0;
        var window = new Measurement();
        using var stop = new CancellationTokenSource();
        var workers = new List<Task>();
        int lanes = clients.Count * o.InFlight;
        // With --rate each lane sends every lanes/rate seconds, the lanes staggered over one such interval.
        long interval = o.Rate > 0 ? (long)(Stopwatch.Frequency * lanes / o.Rate) : 0;
        long firstDue = Stopwatch.GetTimestamp();
        for (int c = 0; c < clients.Count; c++)
        {
            for (int lane = 0; lane < o.InFlight; lane++)
            {
                int client = c, l = lane;
                workers.Add(Task.Run(async () =>
                {
                    var local = new Histogram();
                    // Each lane numbers its own requests, so alternating workloads (create then delete) stay paired.
                    long seq = sequenceBase + l * 1_000_000_000L;
                    long due = firstDue + interval * (client * o.InFlight + l) / lanes;
                    while (!stop.IsCancellationRequested)
                    {
                        Request request = w.Next(o, client, seq++);
                        long start = Stopwatch.GetTimestamp();
                        if (interval > 0)
                        {
                            long early = due - start;
                            if (early > 0)
                            {
                                await Task.Delay(TimeSpan.FromSeconds((double)early / Stopwatch.Frequency));
                                start = Stopwatch.GetTimestamp();
                            }
                            else start = due; // late: the wait for the lane counts, as a client would see it
                            due += interval;
                        }
                        int err;
                        try { err = await clients[client](request); }
                        catch (IOException) { Interlocked.Increment(ref errors); return; }
                        if (!window.Measuring) continue;
                        local.Add((long)Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                        Interlocked.Increment(ref ops);
                        if (err != 0) Interlocked.Increment(ref errors);
                    }
                    histogram.Merge(local);
                }));
            }
        }
        bool countFsyncs = w.Writes && mntrAt is not null;
        await window.RunAsync(o, serverPids, countFsyncs ? () => Mntr.FsyncsAsync(mntrAt!) : null);
        stop.Cancel();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30));
        return new RunResult(w.Name, clients.Count, ops, window.Seconds, histogram.PercentileMs(50), histogram.PercentileMs(99),
            histogram.PercentileMs(99.9), errors, window.ServerCpuSeconds, window.ServerRssMiB, window.Counted);
    }
}
