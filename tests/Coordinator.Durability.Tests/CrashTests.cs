// Owns the crash test: pipelined writers, SIGKILL (and some SIGTERM) at random moments, restart on the same dataDir, every acknowledged write present.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Xunit.Abstractions;

namespace Coordinator.Durability.Tests;

/// <remarks>
/// Each cycle: writer sessions pipeline creates (persistent and ephemeral) and setData of increasing values as
/// fast as the server answers; after a seeded random delay the server gets SIGKILL and is restarted on the same
/// dataDir. After every restart: each acknowledged create is there, each value node holds its largest
/// acknowledged value or a later one that was sent, nothing appears that was never sent, and the server's zxid
/// is not behind any acknowledged one. At the end every recovered session must expire and take its ephemerals.
/// SIGKILL keeps what the server handed to the kernel, so this shows "reply only after the write" and recovery
/// under crashes at any moment (mid-record, mid-roll, mid-snapshot); it cannot show fsync against power loss.
/// </remarks>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int KillCyclesMax = 15;
    private const int KillCyclesMin = 4;
    private const int Writers = 4;
    private const int WindowPerWriter = 8;
    private const int OpsPerWriterMax = 200_000;
    private const int KillDelayMsMax = 1500;

    /// <summary>Every so many cycles the stop is a SIGTERM under load rather than a SIGKILL.</summary>
    private const int GracefulEvery = 5;

    /// <summary>Recovered sessions get a full timeout from the restart, so their ephemerals are checked well inside it.</summary>
    private const int SessionTimeoutMs = 6000;

    /// <summary>Kill cycles stop starting once this much time has gone, so the test stays well under 90 s on a loaded machine.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan OpTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExpiryDeadline = TimeSpan.FromMilliseconds(SessionTimeoutMs + 20_000);

    [Fact]
    public async Task Every_acknowledged_write_survives_SIGKILL_or_SIGTERM_at_random_moments()
    {
        int seed = Environment.GetEnvironmentVariable("COORDINATOR_CRASH_SEED") is { } s
            ? int.Parse(s, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay the kill delays with COORDINATOR_CRASH_SEED={seed})");
        var rng = new Random(seed);
        var clock = Stopwatch.StartNew();
        using var dir = new TempDir("crash");
        // A small snapCount makes snapshots and log rolls happen during the run, so some kills land in them.
        string cfg = ZooCfg.Write(dir.Path, dir.Combine("data"), "snapCount=300");
        var ledger = new Ledger();

        var server = await StartServingAsync(cfg, seed, run: 0);
        try
        {
            await SetUpAsync(server.EndPoint!, ledger);
            int cycle = 0;
            for (; cycle < KillCyclesMax && (clock.Elapsed < Budget || cycle < KillCyclesMin); cycle++)
            {
                int delayMs = rng.Next(KillDelayMsMax + 1);
                await WriteThenKillAsync(server, ledger, cycle, delayMs, graceful: cycle % GracefulEvery == GracefulEvery - 1);
                await server.DisposeAsync();
                server = await StartServingAsync(cfg, seed, run: cycle + 1);
                await VerifyAsync(server, ledger, cyclesDone: cycle + 1, seed);
            }
            output.WriteLine($"{cycle} kill cycles: {ledger.Total(c => c.Creates)} creates, {ledger.Total(c => c.Ephemerals)} ephemerals " +
                $"and {ledger.SetsAcked} setData acknowledged, in {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(cycle >= KillCyclesMin, $"only {cycle} kill cycles ran (seed {seed})");
            Assert.True(ledger.Total(c => c.Creates) > 0, $"no write was ever acknowledged (seed {seed})");
            await AllEphemeralsExpireAsync(server, cycle, seed);
            Assert.Equal(0, await server.StopAsync());
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private async Task<CoordinatorProcess> StartServingAsync(string cfg, int seed, int run)
    {
        var server = await ServerRuns.StartServingAsync(cfg);
        foreach (string line in server.Output.Split('\n').Where(l => l.Contains("Recovery:", StringComparison.Ordinal)))
        {
            output.WriteLine($"  start {run}: {line.Trim()}");
            // A crash can only tear the tail of the newest log; any other repair (a skipped snapshot, a digest
            // mismatch, a zxid gap) means files were written out of order.
            Assert.True(line.Contains("torn tail of the newest log cut", StringComparison.Ordinal),
                $"start {run} repaired something a crash cannot cause: {line} (seed {seed})\n{server.Output}");
        }
        return server;
    }

    private static bool IsErrorLine(string line) =>
        line.Contains("fail:", StringComparison.Ordinal) || line.Contains("crit:", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal);

    /// <summary>Each writer's value node; acknowledged before any kill.</summary>
    private static async Task SetUpAsync(IPEndPoint endPoint, Ledger ledger)
    {
        await using var c = await RawClient.ConnectAsync(endPoint, SessionTimeoutMs, OpTimeout);
        Assert.Equal(0, (await c.CreateAsync("/crash", []).WaitAsync(OpTimeout)).Err);
        for (int w = 0; w < Writers; w++)
        {
            Assert.Equal(0, (await c.CreateAsync($"/crash/v{w}", RawClient.Utf8("0")).WaitAsync(OpTimeout)).Err);
            ledger.Values[w] = new WriterValues();
        }
    }

    /// <param name="graceful">SIGTERM instead of SIGKILL: the server must stop cleanly (exit 0) under load, and lose nothing acknowledged either.</param>
    private async Task WriteThenKillAsync(CoordinatorProcess server, Ledger ledger, int cycle, int delayMs, bool graceful)
    {
        var endPoint = server.EndPoint!;
        await using (var c = await RawClient.ConnectAsync(endPoint, SessionTimeoutMs, OpTimeout))
        {
            Assert.Equal(0, (await c.CreateAsync($"/crash/c{cycle}", []).WaitAsync(OpTimeout)).Err);
            Assert.Equal(0, (await c.CreateAsync($"/crash/e{cycle}", []).WaitAsync(OpTimeout)).Err);
        }
        var cycleLedger = ledger.Cycles[cycle] = new CycleLedger();
        var clients = new List<RawClient>();
        try
        {
            for (int w = 0; w < Writers; w++) clients.Add(await RawClient.ConnectAsync(endPoint, SessionTimeoutMs, OpTimeout));
            var writers = clients.Select((c, w) => Task.Run(() => RunWriterAsync(c, w, cycle, ledger))).ToList();
            await Task.Delay(delayMs);
            if (graceful) Assert.True(await server.StopAsync() == 0, $"SIGTERM under load: exit code {server.ExitCode}\n{server.Output}");
            else await server.KillAsync();
            await Task.WhenAll(writers).WaitAsync(OpTimeout);
            var errors = server.Output.Split('\n').Where(IsErrorLine).ToList();
            foreach (string line in errors.Take(3)) output.WriteLine($"  server error: {line.Trim()[..Math.Min(line.Trim().Length, 300)]}");
            if (errors.Count > 3) output.WriteLine($"  ... and {errors.Count - 3} more server error lines");
            // Under SIGKILL the server never runs its shutdown path, so an error line means something failed while serving.
            // (A SIGTERM under load currently logs "the log refused txn ... after it was prepared" per write still queued:
            // the flusher is closed before the loop stops preparing writes. Reported; not asserted here.)
            if (!graceful && errors.Count > 0) Assert.Fail($"the server logged errors before the SIGKILL: {errors[0]}");
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
        output.WriteLine($"cycle {cycle}: {(graceful ? "SIGTERM" : "SIGKILL")} to pid {server.Pid} after {delayMs} ms; acknowledged {cycleLedger.Creates.Acked.Count} of " +
            $"{cycleLedger.Creates.Sent.Count} creates, {cycleLedger.Ephemerals.Acked.Count} of {cycleLedger.Ephemerals.Sent.Count} ephemerals");
    }

    private static async Task RunWriterAsync(RawClient c, int w, int cycle, Ledger ledger)
    {
        var inflight = new List<Task>(WindowPerWriter);
        var values = ledger.Values[w];
        var cycleLedger = ledger.Cycles[cycle];
        for (int n = 0; n < OpsPerWriterMax && !c.Broken; n++)
        {
            if (inflight.Count >= WindowPerWriter) inflight.Remove(await Task.WhenAny(inflight).WaitAsync(OpTimeout));
            string name = $"w{w}-{n}";
            inflight.Add((n % 6) switch
            {
                2 or 5 => SetOneAsync(c, w, values, ledger),
                4 => CreateOneAsync(c, $"/crash/e{cycle}", name, RawClient.FlagEphemeral, cycleLedger.Ephemerals, ledger),
                _ => CreateOneAsync(c, $"/crash/c{cycle}", name, 0, cycleLedger.Creates, ledger),
            });
        }
        await Task.WhenAll(inflight).WaitAsync(OpTimeout);
    }

    private static async Task CreateOneAsync(RawClient c, string parent, string name, int flags, NameLedger names, Ledger ledger)
    {
        names.Sent.TryAdd(name, 0);
        try
        {
            var reply = await c.CreateAsync($"{parent}/{name}", RawClient.Utf8(name), flags);
            if (reply.Err != 0)
            {
                ledger.Problems.Enqueue($"create {parent}/{name} answered error {reply.Err}");
                return;
            }
            names.Acked.TryAdd(name, 0);
            ledger.AckedZxid(reply.Zxid);
        }
        catch (IOException)
        {
            // the server died first: the outcome is unknown and the write is not counted
        }
    }

    private static async Task SetOneAsync(RawClient c, int w, WriterValues values, Ledger ledger)
    {
        long value = ++values.Sent; // runs synchronously on the writer's own loop, so no race here
        try
        {
            var reply = await c.SetDataAsync($"/crash/v{w}", RawClient.Utf8(value.ToString(CultureInfo.InvariantCulture)));
            if (reply.Err != 0)
            {
                ledger.Problems.Enqueue($"setData /crash/v{w} = {value} answered error {reply.Err}");
                return;
            }
            values.Ack(value);
            ledger.AckedSet(reply.Zxid);
        }
        catch (IOException)
        {
            // unknown outcome
        }
    }

    private static async Task VerifyAsync(CoordinatorProcess server, Ledger ledger, int cyclesDone, int seed)
    {
        Assert.True(ledger.Problems.IsEmpty, $"writes answered with errors (seed {seed}): {string.Join("; ", ledger.Problems.Take(5))}");
        await using var c = await RawClient.ConnectAsync(server.EndPoint!, SessionTimeoutMs, OpTimeout);
        long servedZxid = 0;
        string where = $"after restart {cyclesDone} (seed {seed})";
        for (int k = 0; k < cyclesDone; k++)
        {
            var cycle = ledger.Cycles[k];
            servedZxid = Math.Max(servedZxid, await VerifyChildrenAsync(c, $"/crash/c{k}", cycle.Creates, requireAcked: true, where, server));
            // Ephemerals of the cycle just killed belong to sessions the restart gave a full timeout: all must be
            // there. Older cycles' sessions may have expired since, taking theirs.
            servedZxid = Math.Max(servedZxid, await VerifyChildrenAsync(c, $"/crash/e{k}", cycle.Ephemerals, requireAcked: k == cyclesDone - 1, where, server));
        }
        for (int w = 0; w < Writers; w++)
        {
            var reply = await c.GetDataAsync($"/crash/v{w}").WaitAsync(OpTimeout);
            Assert.Equal(0, reply.Err);
            long value = long.Parse(RawClient.Utf8(reply.ReadGetData().Data), CultureInfo.InvariantCulture);
            var values = ledger.Values[w];
            Assert.True(value >= values.MaxAcked, $"/crash/v{w} is {value}, but {values.MaxAcked} was acknowledged, {where}\n{server.Output}");
            Assert.True(value <= values.Sent, $"/crash/v{w} is {value}, a value never sent (last sent {values.Sent}), {where}");
        }
        Assert.True(servedZxid >= ledger.MaxAckedZxid, $"the server is at zxid 0x{servedZxid:x}, behind the acknowledged 0x{ledger.MaxAckedZxid:x}, {where}");
    }

    /// <summary>Checks a parent's children against what was sent and acknowledged; returns the reply's zxid.</summary>
    private static async Task<long> VerifyChildrenAsync(RawClient c, string parent, NameLedger names, bool requireAcked, string where, CoordinatorProcess server)
    {
        var reply = await c.GetChildrenAsync(parent).WaitAsync(OpTimeout);
        Assert.True(reply.Err == 0, $"{parent} is gone (error {reply.Err}) {where}\n{server.Output}");
        var present = reply.ReadChildren().ToHashSet(StringComparer.Ordinal);
        if (requireAcked)
        {
            var lost = names.Acked.Keys.Where(n => !present.Contains(n)).Order(StringComparer.Ordinal).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} acknowledged creates under {parent} are missing {where}, e.g. {string.Join(", ", lost.Take(10))}\n{server.Output}");
        }
        var phantoms = present.Where(n => !names.Sent.ContainsKey(n)).ToList();
        Assert.True(phantoms.Count == 0, $"znodes nobody created under {parent} {where}: {string.Join(", ", phantoms.Take(10))}");
        return reply.Zxid;
    }

    /// <summary>Every writer session is gone for good, so each must expire (once, after a restart) and take its ephemerals.</summary>
    private async Task AllEphemeralsExpireAsync(CoordinatorProcess server, int cycles, int seed)
    {
        await using var c = await RawClient.ConnectAsync(server.EndPoint!, SessionTimeoutMs, OpTimeout);
        var waited = Stopwatch.StartNew();
        int left = -1;
        while (waited.Elapsed < ExpiryDeadline)
        {
            left = 0;
            for (int k = 0; k < cycles; k++)
            {
                var reply = await c.GetChildrenAsync($"/crash/e{k}").WaitAsync(OpTimeout);
                Assert.Equal(0, reply.Err);
                left += reply.ReadChildren().Count;
            }
            if (left == 0) break;
            await Task.Delay(250);
        }
        output.WriteLine($"every recovered session's ephemerals gone {waited.ElapsedMilliseconds} ms after the last restart");
        Assert.True(left == 0, $"{left} ephemerals of dead sessions remain {ExpiryDeadline.TotalSeconds} s after the last restart (seed {seed})\n{server.Output}");
    }

    private sealed class NameLedger
    {
        public ConcurrentDictionary<string, byte> Sent { get; } = new(StringComparer.Ordinal);
        public ConcurrentDictionary<string, byte> Acked { get; } = new(StringComparer.Ordinal);
    }

    private sealed class CycleLedger
    {
        public NameLedger Creates { get; } = new();
        public NameLedger Ephemerals { get; } = new();
    }

    /// <summary>One writer's value node: values sent increase across cycles; the largest acknowledged must survive.</summary>
    private sealed class WriterValues
    {
        private long _maxAcked;

        public long Sent { get; set; }
        public long MaxAcked => Interlocked.Read(ref _maxAcked);

        public void Ack(long value) => Max(ref _maxAcked, value);
    }

    private sealed class Ledger
    {
        private long _maxAckedZxid;
        private long _setsAcked;

        public ConcurrentDictionary<int, CycleLedger> Cycles { get; } = new();
        public ConcurrentDictionary<int, WriterValues> Values { get; } = new();
        public ConcurrentQueue<string> Problems { get; } = new();
        public long MaxAckedZxid => Interlocked.Read(ref _maxAckedZxid);
        public long SetsAcked => Interlocked.Read(ref _setsAcked);

        public int Total(Func<CycleLedger, NameLedger> which) => Cycles.Values.Sum(c => which(c).Acked.Count);

        public void AckedZxid(long zxid) => Max(ref _maxAckedZxid, zxid);

        public void AckedSet(long zxid)
        {
            Interlocked.Increment(ref _setsAcked);
            AckedZxid(zxid);
        }
    }

    private static void Max(ref long target, long value)
    {
        long seen = Interlocked.Read(ref target);
        while (value > seen)
        {
            long was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}
