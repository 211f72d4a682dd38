// Test helper: the start-write-kill steps the corruption, session and interchange tests share, each bounded.
using System.Net;

namespace Coordinator.Durability.Tests;

internal static class ServerRuns
{
    public static readonly TimeSpan OpTimeout = TimeSpan.FromSeconds(30);
    public const int SessionTimeoutMs = 30_000;

    /// <summary>Starts the server and fails the test (with its output) unless it serves without a "cannot start".</summary>
    public static async Task<CoordinatorProcess> StartServingAsync(string cfg)
    {
        var server = await CoordinatorProcess.LaunchAsync(cfg);
        if (server.EndPoint is null || server.Stderr.Contains("cannot start", StringComparison.Ordinal))
        {
            string why = server.HasExited ? $"exited with {server.ExitCode}" : "did not serve in time";
            await server.DisposeAsync();
            Assert.Fail($"the server {why}\n{server.Output}");
        }
        return server;
    }

    /// <summary>
    /// Starts the server and expects it to refuse: a non-zero exit, exactly one "cannot start" line on stderr,
    /// and never a serving line. Returns that line.
    /// </summary>
    public static async Task<string> StartRefusedAsync(string cfg)
    {
        await using var server = await CoordinatorProcess.LaunchAsync(cfg);
        Assert.True(server.EndPoint is null, $"the server served on unreadable data\n{server.Output}");
        Assert.True(server.HasExited, $"the server neither served nor exited within {CoordinatorProcess.StartTimeout.TotalSeconds} s\n{server.Output}");
        Assert.True(server.ExitCode != 0, $"the server exited with 0 on unreadable data\n{server.Output}");
        var lines = server.Stderr.Split('\n').Where(l => l.Contains("cannot start", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, $"expected one 'cannot start' line, got {lines.Count}\n{server.Output}");
        Assert.DoesNotContain("serving clients", server.Stdout, StringComparison.Ordinal);
        return lines[0];
    }

    /// <summary>
    /// A clean run on a fresh dataDir: creates /n0 … /n{count-1} (pipelined), then /last on its own, so /last's
    /// create is the newest record of the newest log; every reply arrives before the SIGKILL.
    /// </summary>
    /// <param name="snapshotsIn">With a dataDir, waits (bounded) until it holds <paramref name="snapshots"/> snapshot files before
    /// the kill: snapshots are written in the background, so a kill right after the last ack can precede them.</param>
    public static async Task WriteThenKillAsync(string cfg, int count, string? snapshotsIn = null, int snapshots = 0)
    {
        await using var server = await StartServingAsync(cfg);
        await using (var c = await RawClient.ConnectAsync(server.EndPoint!, SessionTimeoutMs, OpTimeout))
        {
            var replies = Enumerable.Range(0, count).Select(i => c.CreateAsync($"/n{i}", RawClient.Utf8($"v{i}"))).ToList();
            foreach (var reply in replies) Assert.Equal(0, (await reply.WaitAsync(OpTimeout)).Err);
            Assert.Equal(0, (await c.CreateAsync("/last", RawClient.Utf8("last")).WaitAsync(OpTimeout)).Err);
        }
        if (snapshotsIn is not null)
        {
            var deadline = DateTime.UtcNow + OpTimeout;
            while (DataDirFiles.List(snapshotsIn, "snapshot").Count < snapshots && DateTime.UtcNow < deadline) await Task.Delay(20);
        }
        await server.KillAsync();
    }

    /// <summary>Asserts that /n0 … /n{count-1} exist with their data, and whether /last does.</summary>
    public static async Task AssertTreeAsync(IPEndPoint endPoint, int count, bool lastExists)
    {
        await using var c = await RawClient.ConnectAsync(endPoint, SessionTimeoutMs, OpTimeout);
        var replies = Enumerable.Range(0, count).Select(i => c.GetDataAsync($"/n{i}")).ToList();
        for (int i = 0; i < count; i++)
        {
            var reply = await replies[i].WaitAsync(OpTimeout);
            Assert.True(reply.Err == 0, $"/n{i} is missing (error {reply.Err})");
            Assert.Equal($"v{i}", RawClient.Utf8(reply.ReadGetData().Data));
        }
        var last = await c.ExistsAsync("/last").WaitAsync(OpTimeout);
        Assert.Equal(lastExists ? 0 : RawClient.ErrNoNode, last.Err);
    }
}
