// Collects watch events and connection states so tests can await the next one with a timeout.
using System.Threading.Channels;

namespace Coordinator.Client.Tests.Servers;

public sealed class Recorder<T>
{
    private readonly Channel<T> _items = Channel.CreateUnbounded<T>();

    public void Add(T item) => _items.Writer.TryWrite(item);

    public async Task<T> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? ServerFixtures.WaitTimeout);
        try
        {
            return await _items.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no {typeof(T).Name} within {(timeout ?? ServerFixtures.WaitTimeout).TotalSeconds:F1} s");
        }
    }

    /// <summary>Reads until one matches, returning it (earlier ones are dropped).</summary>
    public async Task<T> NextMatchingAsync(Func<T, bool> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? ServerFixtures.WaitTimeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"no matching {typeof(T).Name}");
            var item = await NextAsync(left);
            if (predicate(item)) return item;
        }
    }

    /// <summary>Passes when nothing arrives within <paramref name="quiet"/>.</summary>
    public async Task AssertNoneAsync(TimeSpan quiet)
    {
        await Task.Delay(quiet);
        Assert.False(_items.Reader.TryRead(out var extra), $"unexpected {extra}");
    }

    public bool TryTake(out T item) => _items.Reader.TryRead(out item!);
}

public sealed class WatchRecorder
{
    public Recorder<WatchedEvent> Events { get; } = new();

    public Action<WatchedEvent> Watcher { get; }

    public WatchRecorder() => Watcher = Events.Add;

    public Task<WatchedEvent> NextAsync(TimeSpan? timeout = null) => Events.NextAsync(timeout);

    public Task AssertNoneAsync(TimeSpan quiet) => Events.AssertNoneAsync(quiet);
}

public static class StateRecording
{
    public static Recorder<ConnectionStateChangedEventArgs> RecordStates(this CoordinatorClient client)
    {
        var recorder = new Recorder<ConnectionStateChangedEventArgs>();
        client.StateChanged += (_, e) => recorder.Add(e);
        return recorder;
    }
}
