// Watch fan-out: many watchers of one znode, one writer; how fast do events reach every watcher, per door.
using System.Diagnostics;
using Coordinator.Client;
using Coordinator.Client.Grpc;
using V1 = Coordinator.Protos.V1;

namespace Coordinator.Bench;

internal sealed record FanOutResult(string Door, int Watchers, int Changes, double Seconds, long Delivered)
{
    public double EventsPerSecond => Delivered / Seconds;
}

internal static class FanOut
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    /// <summary>Persistent watches (addWatch) of wire-protocol sessions, one session each.</summary>
    public static async Task<FanOutResult> WireAsync(string host, int port, int watchers, int changes)
    {
        string path = $"{Workload.Root}/fan-wire-{Guid.NewGuid():N}";
        await using var writer = await CoordinatorClient.ConnectAsync($"{host}:{port}");
        await writer.CreateAsync(path, []);
        var clients = new List<CoordinatorClient>();
        var done = new CountdownEvent(watchers);
        long delivered = 0;
        try
        {
            for (int i = 0; i < watchers; i++)
            {
                var c = await CoordinatorClient.ConnectAsync($"{host}:{port}");
                clients.Add(c);
                int seen = 0;
                await c.AddWatchAsync(path, AddWatchMode.Persistent, e =>
                {
                    if (e.Type != Core.EventType.NodeDataChanged) return;
                    Interlocked.Increment(ref delivered);
                    if (Interlocked.Increment(ref seen) == changes) done.Signal();
                });
            }
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < changes; i++) await writer.SetDataAsync(path, BitConverter.GetBytes(i));
            if (!done.Wait(Limit)) throw new TimeoutException($"wire watchers got {delivered} of {watchers * changes} events");
            return new FanOutResult("wire", watchers, changes, clock.Elapsed.TotalSeconds, Interlocked.Read(ref delivered));
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    /// <summary>Watch streams of one gRPC session each; the writer uses the wire protocol in both cases.</summary>
    public static async Task<FanOutResult> GrpcAsync(string host, int port, Uri grpc, int watchers, int changes)
    {
        string path = $"{Workload.Root}/fan-grpc-{Guid.NewGuid():N}";
        await using var writer = await CoordinatorClient.ConnectAsync($"{host}:{port}");
        await writer.CreateAsync(path, []);
        await using var client = new CoordinatorGrpcClient(grpc);
        using var stop = new CancellationTokenSource(Limit);
        long delivered = 0;
        var started = new CountdownEvent(watchers);
        var streams = new List<Task>();
        for (int i = 0; i < watchers; i++)
        {
            long session = (await client.CreateSessionAsync(new V1.CreateSessionRequest { TimeoutMs = 30000 })).SessionId;
            streams.Add(Task.Run(async () =>
            {
                int seen = 0;
                await foreach (var m in client.WatchAsync(new V1.WatchRequest { SessionId = session, Path = path }, ct: stop.Token))
                {
                    if (m.KindCase == V1.WatchResponse.KindOneofCase.Started) { started.Signal(); continue; }
                    if (m.Event.Type != V1.EventType.NodeDataChanged) continue;
                    Interlocked.Increment(ref delivered);
                    if (++seen == changes) return;
                }
            }));
        }
        if (!started.Wait(Limit)) throw new TimeoutException("gRPC watch streams did not start");
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < changes; i++) await writer.SetDataAsync(path, BitConverter.GetBytes(i));
        await Task.WhenAll(streams).WaitAsync(Limit);
        return new FanOutResult("grpc", watchers, changes, clock.Elapsed.TotalSeconds, Interlocked.Read(ref delivered));
    }
}
