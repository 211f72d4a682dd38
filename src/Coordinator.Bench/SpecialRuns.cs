// Workloads that are not one request per op: watch fan-out, session churn, and a 1M-znode load with a restart.
using System.Diagnostics;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Bench;

internal static class SpecialRuns
{
    public static readonly IReadOnlySet<string> Names = new HashSet<string> { "watch", "churn", "restart" };

    private static readonly List<Acl> Open = [.. Acl.OpenAclUnsafe];

    /// <summary>
    /// One writer sets a znode that every watcher session watches; each set waits until all watchers have their
    /// notification (or 5 s). Ops are notifications delivered; latency is from sending the set to each arrival.
    /// </summary>
    public static async Task<RunResult> WatchAsync(BenchOptions o, string host, int port, int? serverPid)
    {
        string path = $"{Workload.Root}/w-{o.RunId}";
        await using var writer = await BenchConnection.OpenAsync(host, port, 30000, CancellationToken.None);
        int err = await writer.CallAsync(new CreateRequest(OpCode.Create, path, o.Value, Open, 0));
        if (err is not (0 or -110)) throw new InvalidOperationException($"watch setup failed with {err}");

        var watchers = new BenchConnection[o.Watchers];
        var histogram = new Histogram();
        long sentAt = 0, delivered = 0, errors = 0;
        int outstanding = 0;
        var allArrived = new SemaphoreSlim(0);
        var window = new Measurement();
        var getWatch = new PathWatchRequest(OpCode.GetData, path, true);
        for (int i = 0; i < watchers.Length; i++)
        {
            var c = watchers[i] = await BenchConnection.OpenAsync(host, port, 30000, CancellationToken.None);
            c.OnNotification = arrived =>
            {
                if (window.Measuring)
                {
                    histogram.Add((long)Stopwatch.GetElapsedTime(Volatile.Read(ref sentAt), arrived).TotalMicroseconds);
                    Interlocked.Increment(ref delivered);
                }
                // Watches are one-shot: re-arm before the writer's next set (the set waits for every arrival).
                _ = c.CallAsync(getWatch).ContinueWith(t =>
                {
                    if (t.IsFaulted || t.Result != 0) Interlocked.Increment(ref errors);
                    if (Interlocked.Decrement(ref outstanding) == 0) allArrived.Release();
                }, TaskScheduler.Default);
            };
            if (await c.CallAsync(getWatch) != 0) errors++;
        }

        var setRequest = new SetDataRequest(path, o.Value, -1);
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Volatile.Write(ref outstanding, watchers.Length);
                Volatile.Write(ref sentAt, Stopwatch.GetTimestamp());
                if (await writer.CallAsync(setRequest) != 0) Interlocked.Increment(ref errors);
                if (!await allArrived.WaitAsync(TimeSpan.FromSeconds(5)))
                {
                    Interlocked.Increment(ref errors); // a lost notification: count it and stop, the watch set is no longer known
                    return;
                }
            }
        });
        await window.RunAsync(o, serverPid);
        stop.Cancel();
        await writing.WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var c in watchers) await c.DisposeAsync();
        return new RunResult("watch", o.Watchers, delivered, window.Seconds, histogram.PercentileMs(50), histogram.PercentileMs(99),
            histogram.PercentileMs(99.9), errors, window.ServerCpuSeconds, window.ServerRssMiB);
    }

    /// <summary>Each client connects a session, closes it and waits for the answer, in a loop; ops are sessions.</summary>
    public static async Task<RunResult> ChurnAsync(BenchOptions o, string host, int port, int? serverPid, int clients)
    {
        var histogram = new Histogram();
        long ops = 0, errors = 0;
        var window = new Measurement();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            var local = new Histogram();
            while (!stop.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    await using var c = await BenchConnection.OpenAsync(host, port, 30000, stop.Token);
                    await c.CloseSessionAsync();
                }
                catch (OperationCanceledException) { break; }
                catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException)
                {
                    Interlocked.Increment(ref errors);
                    continue;
                }
                if (!window.Measuring) continue;
                local.Add((long)Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                Interlocked.Increment(ref ops);
            }
            histogram.Merge(local);
        })).ToList();
        await window.RunAsync(o, serverPid);
        stop.Cancel();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30));
        return new RunResult("churn", clients, ops, window.Seconds, histogram.PercentileMs(50), histogram.PercentileMs(99),
            histogram.PercentileMs(99.9), errors, window.ServerCpuSeconds, window.ServerRssMiB);
    }

    /// <summary>
    /// Loads --znodes znodes of --value-bytes under a fresh parent (pipelined creates), lets the server settle,
    /// reads its RSS, kills it with SIGKILL and times the restart until the last znode can be read again.
    /// </summary>
    public static async Task<RestartResult> RestartAsync(BenchOptions o, ServerLauncher server)
    {
        string parent = $"{Workload.Root}/load-{o.RunId}";
        var load = Stopwatch.StartNew();
        long errors = 0;
        await using (var c = await BenchConnection.OpenAsync("127.0.0.1", server.Port, 30000, CancellationToken.None))
            if (await c.CallAsync(new CreateRequest(OpCode.Create, parent, [], Open, 0)) is not (0 or -110)) errors++;
        const int clients = 8, inFlight = 64;
        var conns = new BenchConnection[clients];
        for (int i = 0; i < clients; i++) conns[i] = await BenchConnection.OpenAsync("127.0.0.1", server.Port, 30000, CancellationToken.None);
        long next = -1;
        var lanes = Enumerable.Range(0, clients * inFlight).Select(lane => Task.Run(async () =>
        {
            var conn = conns[lane % clients];
            for (long n = Interlocked.Increment(ref next); n < o.Znodes; n = Interlocked.Increment(ref next))
                if (await conn.CallAsync(new CreateRequest(OpCode.Create, $"{parent}/n{n:D7}", o.Value, Open, 0)) != 0) Interlocked.Increment(ref errors);
        })).ToList();
        await Task.WhenAll(lanes);
        foreach (var c in conns) await c.DisposeAsync();
        double loadSeconds = load.Elapsed.TotalSeconds;
        // Let background work finish (snapshots, GC) before reading resident memory.
        await Task.Delay(TimeSpan.FromSeconds(5));
        double rss = ProcessProbe.RssMiB(server.Pid);
        long znodes = Mntr.Long(await Mntr.ReadAsync("127.0.0.1", server.Port), "zk_znode_count");

        var restart = Stopwatch.StartNew();
        await server.KillAndStartAsync();
        string last = $"{parent}/n{o.Znodes - 1:D7}";
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            // A server still loading may accept the connection and never answer it (ZooKeeper does): bound each try.
            using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await using var c = await BenchConnection.OpenAsync("127.0.0.1", server.Port, 30000, attempt.Token);
                if (await c.CallAsync(new PathWatchRequest(OpCode.Exists, last, false)).WaitAsync(attempt.Token) == 0) break;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{server.Name} did not serve {last} within 5 minutes of a restart");
            await Task.Delay(20);
        }
        double restartSeconds = restart.Elapsed.TotalSeconds;
        double rssAfter = ProcessProbe.RssMiB(server.Pid);
        return new RestartResult(o.Znodes, znodes, loadSeconds, rss, restartSeconds, rssAfter, errors);
    }
}

/// <param name="ZnodeCount">mntr's zk_znode_count after the load (the loaded znodes plus the server's own).</param>
internal sealed record RestartResult(int Loaded, long ZnodeCount, double LoadSeconds, double RssMiB, double RestartSeconds, double RssAfterRestartMiB, long Errors);
