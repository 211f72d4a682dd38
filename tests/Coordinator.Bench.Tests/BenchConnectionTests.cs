// The load generator's connection against an in-process server: pipelined replies matched in order, requests from
// many threads coalesced without loss, replies larger than the read buffer, and a lost server failing every waiter.
using Coordinator.Core;
using Coordinator.Host;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.Server.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coordinator.Bench.Tests;

public sealed class BenchConnectionTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly List<Acl> Open = [.. Acl.OpenAclUnsafe];
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "coordinator-bench-" + Guid.NewGuid().ToString("N"));
    private CoordinatorHost _host = null!;
    private bool _hostStopped;

    private int Port => _host.ClientEndPoint.Port;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataDir);
        var settings = ServerSettings.Default with
        {
            ClientPort = 0, ClientPortAddress = "127.0.0.1", DataDir = _dataDir,
            AdminEnableServer = false, AdminServerPort = 0, MetricsHttpPort = 0, MetricsHttpHost = "127.0.0.1",
        };
        _host = await CoordinatorHost.StartAsync(settings, NullLoggerFactory.Instance);
    }

    public async Task DisposeAsync()
    {
        if (!_hostStopped) await _host.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    private Task<BenchConnection> OpenAsync() => BenchConnection.OpenAsync("127.0.0.1", Port, 30000, CancellationToken.None);

    private static CreateRequest Create(string path, byte[] data) => new(OpCode.Create, path, data, Open, 0);

    [Fact]
    public async Task RepliesToPipelinedRequestsArriveInTheOrderSent()
    {
        await using var c = await OpenAsync();
        // Queued back to back without waiting: each answer must land on its own request.
        var calls = new[]
        {
            c.CallAsync(Create("/ordered", [1])),
            c.CallAsync(Create("/ordered", [2])),
            c.CallAsync(new PathWatchRequest(OpCode.Exists, "/ordered", false)),
            c.CallAsync(new DeleteRequest(OpCode.Delete, "/ordered", -1)),
            c.CallAsync(new PathWatchRequest(OpCode.GetData, "/ordered", false)),
        };
        int[] errors = await Task.WhenAll(calls).WaitAsync(Wait);
        Assert.Equal([0, (int)ErrorCode.NodeExists, 0, 0, (int)ErrorCode.NoNode], errors);
    }

    [Fact]
    public async Task RequestsFromManyThreadsAllGetTheirOwnAnswer()
    {
        await using var c = await OpenAsync();
        Assert.Equal(0, await c.CallAsync(Create("/many", [])).WaitAsync(Wait));
        const int threads = 8, each = 200;
        var workers = Enumerable.Range(0, threads).Select(t => Task.Run(async () =>
        {
            var mine = new List<Task<int>>();
            for (int i = 0; i < each; i++)
            {
                mine.Add(c.CallAsync(Create($"/many/{t}-{i}", [])));
                // Every other create is checked at once: the znode exists only if this thread's create was sent first.
                if (i % 2 == 0) mine.Add(c.CallAsync(new PathWatchRequest(OpCode.Exists, $"/many/{t}-{i}", false)));
            }
            return await Task.WhenAll(mine);
        })).ToList();
        var results = await Task.WhenAll(workers).WaitAsync(Wait);
        Assert.All(results.SelectMany(r => r), err => Assert.Equal(0, err));

        await using var check = await OpenAsync();
        for (int t = 0; t < threads; t++)
            Assert.Equal(0, await check.CallAsync(new PathWatchRequest(OpCode.Exists, $"/many/{t}-{each - 1}", false)).WaitAsync(Wait));
    }

    [Fact]
    public async Task AReplyLargerThanTheReadBufferIsReadWhole()
    {
        await using var c = await OpenAsync();
        var big = new byte[300 * 1024];
        Random.Shared.NextBytes(big);
        Assert.Equal(0, await c.CallAsync(Create("/big", big)).WaitAsync(Wait));
        // Small replies on both sides of the large one: the buffer grows and the frames after it still line up.
        var calls = new[]
        {
            c.CallAsync(new PathWatchRequest(OpCode.Exists, "/big", false)),
            c.CallAsync(new PathWatchRequest(OpCode.GetData, "/big", false)),
            c.CallAsync(new PathWatchRequest(OpCode.GetData, "/missing", false)),
            c.CallAsync(new PathWatchRequest(OpCode.GetData, "/big", false)),
        };
        int[] errors = await Task.WhenAll(calls).WaitAsync(Wait);
        Assert.Equal([0, 0, (int)ErrorCode.NoNode, 0], errors);
    }

    [Fact]
    public async Task ALostServerFailsWhatWaitsAndWhatComesAfter()
    {
        var c = await OpenAsync();
        Assert.Equal(0, await c.CallAsync(new PathWatchRequest(OpCode.Exists, "/", false)).WaitAsync(Wait));
        _hostStopped = true;
        await _host.DisposeAsync();
        await Assert.ThrowsAsync<IOException>(() => c.CallAsync(new PathWatchRequest(OpCode.Exists, "/", false)).WaitAsync(Wait));
        await Assert.ThrowsAsync<IOException>(() => c.CallAsync(new PathWatchRequest(OpCode.Exists, "/", false)).WaitAsync(Wait));
        await c.DisposeAsync().AsTask().WaitAsync(Wait);
    }

    [Fact]
    public async Task AWorkloadRunCountsOpsAndNoErrors()
    {
        var o = new BenchOptions { DurationSeconds = 1, WarmupSeconds = 0.3, InFlight = 4, ClientCounts = [4] };
        await Runner.SetupAsync(o, "127.0.0.1", Port);
        var workload = Workload.All.Single(w => w.Name == "createdelete");
        var result = await Runner.RunAsync(o, workload, "127.0.0.1", Port, null, 4).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.Ops > 100, $"only {result.Ops} ops in a second");
        Assert.Equal(0, result.Errors);
        Assert.True(result.P50Ms > 0 && result.P50Ms <= result.P99Ms);
    }

    [Fact]
    public async Task APacedRunOffersTheRateAsked()
    {
        // Paced lanes send from timer threads, not from the reader: their requests must be flushed all the same.
        var o = new BenchOptions { DurationSeconds = 2, WarmupSeconds = 0.3, InFlight = 2, ClientCounts = [4], Rate = 400 };
        await Runner.SetupAsync(o, "127.0.0.1", Port);
        var workload = Workload.All.Single(w => w.Name == "set");
        var result = await Runner.RunAsync(o, workload, "127.0.0.1", Port, null, 4).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, result.Errors);
        Assert.InRange(result.OpsPerSecond, 200, 600);
    }
}
