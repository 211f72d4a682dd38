// The loop shared by NodeCache and TreeCache: a persistent watch feeds events, reconnects trigger a resync, one task applies both.
using Coordinator.Core;
using System.Threading.Channels;
using Coordinator.Client.Connection;

namespace Coordinator.Client.Recipes;

/// <summary>
/// A cache kept current by a persistent watch (addWatch). Watch events and resyncs are applied one at a time, in
/// order, on the cache's own task, so the cached state only moves forward. After a reconnect the cache reads
/// everything again: events for changes made while disconnected may be lost (setWatches2 only replays the watched
/// node itself), and the resync repairs that.
/// </summary>
public abstract class CoordinatorCache : IAsyncDisposable
{
    // Null means "resync"; bounded by the watch's events, which the cache consumes as fast as the server answers.
    private readonly Channel<WatchedEvent?> _triggers = Channel.CreateUnbounded<WatchedEvent?>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly AddWatchMode _mode;
    private readonly Action<WatchedEvent> _watcher;
    private Task _loop = Task.CompletedTask;
    private int _state; // 0 new, 1 started, 2 disposed

    private protected CoordinatorCache(CoordinatorClient client, string path, AddWatchMode mode)
    {
        ArgumentNullException.ThrowIfNull(client);
        Requests.Validate(path);
        Client = client;
        Path = path;
        _mode = mode;
        _watcher = OnWatchEvent;
    }

    protected CoordinatorClient Client { get; }

    public string Path { get; }

    /// <summary>Completes once the first full read has been applied.</summary>
    public Task Initialized => _initialized.Task;

    /// <summary>Sets the watch, reads the current state and starts following changes; returns once the cache is filled.</summary>
    public async Task StartAsync(CancellationToken cancellation = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("a cache starts once");
        Client.StateChanged += OnStateChanged;
        // Watch first, then read: a change between the two shows up as an event applied after the read.
        await RecipeSupport.RetryAsync(Client, ct => Client.AddWatchAsync(Path, _mode, _watcher, ct), cancellation).ConfigureAwait(false);
        _triggers.Writer.TryWrite(null);
        _loop = Task.Run(RunAsync, CancellationToken.None);
        await _initialized.Task.WaitAsync(cancellation).ConfigureAwait(false);
    }

    private void OnWatchEvent(WatchedEvent e)
    {
        if (e.Type != EventType.None) _triggers.Writer.TryWrite(e);
    }

    private void OnStateChanged(object? sender, ConnectionStateChangedEventArgs e)
    {
        if (e.State.IsConnected()) _triggers.Writer.TryWrite(null);
    }

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        try
        {
            await foreach (var trigger in _triggers.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    if (trigger is null)
                    {
                        await ResyncAsync(stop).ConfigureAwait(false);
                        _initialized.TrySetResult();
                    }
                    else
                    {
                        await ApplyAsync(trigger, stop).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is ConnectionLossException or SessionExpiredException)
                {
                    // The next Connected state queues a resync that repairs whatever this step missed.
                }
                catch (KeeperException e)
                {
                    ClientLog.RecipeProblem(Client.Logger, GetType().Name, Path, e.Message);
                    if (trigger is null) _initialized.TrySetException(e);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Disposed (the cache or the client): stop quietly.
        }
        _initialized.TrySetCanceled(CancellationToken.None);
        Stopped();
    }

    /// <summary>Reads the whole cached state from the server and reconciles it with what is cached.</summary>
    private protected abstract Task ResyncAsync(CancellationToken cancellation);

    /// <summary>Applies one watch event (a node created, changed or deleted) by reading what it points at.</summary>
    private protected abstract Task ApplyAsync(WatchedEvent e, CancellationToken cancellation);

    /// <summary>Called once when the loop ends, to complete subscribers.</summary>
    private protected abstract void Stopped();

    /// <summary>Stops following changes and removes the watch from the server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) != 1) return;
        Client.StateChanged -= OnStateChanged;
        _triggers.Writer.TryComplete();
        _stop.Cancel();
        await _loop.ConfigureAwait(false);
        try
        {
            var type = _mode == AddWatchMode.Persistent ? WatcherType.Persistent : WatcherType.PersistentRecursive;
            using var cts = new CancellationTokenSource(Client.SessionTimeout);
            await Client.RemoveWatchesAsync(Path, type, _watcher, cancellation: cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KeeperException or ObjectDisposedException or OperationCanceledException)
        {
            // The session (and its watches) may already be gone.
        }
        _stop.Dispose();
    }
}
