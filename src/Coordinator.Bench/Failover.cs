// The fail-over figure of an ensemble: writers on every node, SIGKILL to the leader, time until writes and roles are back.
using System.Diagnostics;
using Coordinator.Jute.Records;

namespace Coordinator.Bench;

/// <param name="FirstWriteSeconds">From the kill to the first write that was sent after the kill and acknowledged with
/// a zxid of a newer epoch than every write before it: committed by a new leader.</param>
/// <param name="AllServingSeconds">From the kill to when every surviving node answers srvr as leader or follower again.</param>
/// <param name="GapErrors">Writes lost to connection loss, timeouts or errors around the kill: expected, not benchmark errors.</param>
internal sealed record FailoverResult(double FirstWriteSeconds, double AllServingSeconds, long WritesBefore, long WritesAfter, long GapErrors);

internal static class Failover
{
    /// <summary>Sessions writing through each node.</summary>
    private const int WritersPerNode = 2;

    /// <summary>A write (or a connect) that takes longer than this is given up and its connection replaced.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Null when there is no leader to kill (every node standalone).</summary>
    public static async Task<FailoverResult?> RunAsync(BenchOptions o, EnsembleLauncher ensemble)
    {
        var modes = await ensemble.ModesAsync(ensemble.Nodes);
        int leaderIndex = Array.IndexOf(modes, "leader");
        if (leaderIndex < 0) return null;
        var leader = ensemble.Nodes[leaderIndex];
        var survivors = ensemble.Nodes.Where(n => n != leader).ToList();

        long killedAt = 0, firstWriteAt = 0, before = 0, after = 0, gapErrors = 0, epochBefore = 0;
        using var stop = new CancellationTokenSource();
        var writers = new List<Task>();
        int writer = 0;
        foreach (var node in ensemble.Nodes)
        {
            for (int i = 0; i < WritersPerNode; i++)
            {
                var set = new SetDataRequest($"{Workload.Root}/s/{writer++ % o.Clients}", o.Value, -1);
                // The leader's own writers stop with it: what is measured is the ensemble without it.
                writers.Add(Task.Run(() => WriteAsync(node, set, stop.Token, (sentAt, ok, zxid) =>
                {
                    long killed = Volatile.Read(ref killedAt), epoch = zxid >>> 32;
                    if (!ok) Interlocked.Increment(ref gapErrors);
                    else if (killed == 0 || sentAt < killed || epoch <= Interlocked.Read(ref epochBefore))
                    {
                        Interlocked.Increment(ref before);
                        if (killed == 0) InterlockedMax(ref epochBefore, epoch);
                    }
                    else
                    {
                        Interlocked.Increment(ref after);
                        Interlocked.CompareExchange(ref firstWriteAt, Stopwatch.GetTimestamp(), 0);
                    }
                })));
            }
        }
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, o.WarmupSeconds)));
            if (Interlocked.Read(ref before) == 0) throw new InvalidOperationException($"{ensemble.Name}: no write succeeded before the kill");
            EnsembleLauncher.SigKill(leader);
            Volatile.Write(ref killedAt, Stopwatch.GetTimestamp());
            await ensemble.KillAsync(leader);

            double allServing = double.NaN;
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < EnsembleLauncher.QuorumWait)
            {
                var now = await ensemble.ModesAsync(survivors);
                if (EnsembleLauncher.Serving(now) && now.Contains("leader"))
                {
                    allServing = Stopwatch.GetElapsedTime(killedAt).TotalSeconds;
                    break;
                }
                await Task.Delay(20);
            }
            while (Interlocked.Read(ref firstWriteAt) == 0 && deadline.Elapsed < EnsembleLauncher.QuorumWait) await Task.Delay(10);
            long first = Interlocked.Read(ref firstWriteAt);
            double firstWrite = first == 0 ? double.NaN : Stopwatch.GetElapsedTime(killedAt, first).TotalSeconds;
            // A moment of writes through the new leader, so "after" shows the ensemble working again, not one lucky write.
            await Task.Delay(TimeSpan.FromSeconds(1));
            return new FailoverResult(firstWrite, allServing, Interlocked.Read(ref before), Interlocked.Read(ref after), Interlocked.Read(ref gapErrors));
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        for (long seen = Interlocked.Read(ref target); value > seen; seen = Interlocked.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }

    /// <summary>
    /// One session writing to one node, one write at a time; after a connection loss it connects again to the same
    /// node (a new session: the old one's fate is not what is measured) until stopped or the node is gone.
    /// </summary>
    private static async Task WriteAsync(EnsembleLauncher.Node node, SetDataRequest set, CancellationToken stop, Action<long, bool, long> done)
    {
        BenchConnection? c = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (c is null)
                {
                    if (!node.Alive) return;
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    attempt.CancelAfter(AttemptTimeout);
                    try
                    {
                        c = await BenchConnection.OpenAsync("127.0.0.1", node.Port, 30000, attempt.Token);
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                    {
                        if (stop.IsCancellationRequested) return;
                        await Task.Delay(20, CancellationToken.None);
                        continue;
                    }
                }
                long sentAt = Stopwatch.GetTimestamp();
                int err;
                try
                {
                    err = await c.CallAsync(set).WaitAsync(AttemptTimeout, CancellationToken.None);
                }
                catch (Exception e) when (e is IOException or TimeoutException)
                {
                    if (!stop.IsCancellationRequested) done(sentAt, false, 0);
                    await c.DisposeAsync();
                    c = null;
                    continue;
                }
                done(sentAt, err == 0, c.LastZxid);
            }
        }
        finally
        {
            if (c is not null) await c.DisposeAsync();
        }
    }
}
