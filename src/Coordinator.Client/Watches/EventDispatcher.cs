// Delivers watch events and state changes to user callbacks, one at a time and in arrival order, off the receive loop.
using System.Threading.Channels;
using Coordinator.Client.Connection;
using Microsoft.Extensions.Logging;

namespace Coordinator.Client.Watches;

internal sealed class EventDispatcher : IAsyncDisposable
{
    private readonly record struct Delivery(WatchedEvent? Event, IReadOnlyCollection<Action<WatchedEvent>>? Watchers, Action? Callback);

    // Unbounded on purpose: the receive loop must never wait for a slow callback, or pings would stall and the
    // session would look dead. Events are bounded by the watches the application set.
    private readonly Channel<Delivery> _queue = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _log;
    private readonly Task _loop;

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    [ThreadStatic]
    private static bool t_inCallback;

    public EventDispatcher(ILogger log)
    {
        _log = log;
        _loop = Task.Run(RunAsync);
    }

    public void Post(WatchedEvent e, IReadOnlyCollection<Action<WatchedEvent>> watchers)
    {
        if (watchers.Count > 0) _queue.Writer.TryWrite(new Delivery(e, watchers, null));
    }

    public void Post(Action callback) => _queue.Writer.TryWrite(new Delivery(null, null, callback));

    private async Task RunAsync()
    {
        await foreach (var d in _queue.Reader.ReadAllAsync())
        {
            if (d.Callback is not null) Invoke(d.Callback);
            else foreach (var w in d.Watchers!) Invoke(w, d.Event!);
        }
    }

    private void Invoke(Action callback)
    {
        t_inCallback = true;
        try { callback(); }
        catch (Exception e) { ClientLog.CallbackFailed(_log, e); }
        finally { t_inCallback = false; }
    }

    private void Invoke(Action<WatchedEvent> watcher, WatchedEvent e)
    {
        t_inCallback = true;
        try { watcher(e); }
        catch (Exception ex) { ClientLog.CallbackFailed(_log, ex); }
        finally { t_inCallback = false; }
    }

    /// <summary>Delivers what is queued, then stops; a callback that calls dispose from inside the loop does not wait for itself.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_loop.IsCompleted || t_inCallback) return;
        try
        {
            await _loop.WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A callback that never returns must not hang the application's shutdown.
        }
    }
}
