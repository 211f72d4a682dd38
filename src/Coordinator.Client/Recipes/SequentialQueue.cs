// The queue under the lock and the election: ephemeral-sequential nodes in order, each waiting only on its predecessor.
using Coordinator.Core;

namespace Coordinator.Client.Recipes;

internal static class SequentialQueue
{
    /// <summary>
    /// Returns once <paramref name="ourNode"/> is first in line. Each waiter watches only the node just ahead of it,
    /// so a release wakes exactly one waiter (no herd). Throws <see cref="NoNodeException"/> naming our node when it
    /// is gone (our session expired, or someone deleted it).
    /// </summary>
    public static async Task WaitUntilFirstAsync(CoordinatorClient client, string parent, string prefix, string ourNode, CancellationToken cancellation)
    {
        string ourName = PathValidation.Name(ourNode);
        while (true)
        {
            var children = RecipeSupport.SortedBySequence(
                (await RecipeSupport.RetryAsync(client, ct => client.GetChildrenAsync(parent, ct), cancellation).ConfigureAwait(false)).Children, prefix);
            int index = children.IndexOf(ourName);
            if (index < 0) throw new NoNodeException(ourNode, "our place in the queue is gone (session expired or node deleted)");
            if (index == 0) return;

            string predecessor = PathValidation.Join(parent, children[index - 1]);
            var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Action<WatchedEvent> watcher = _ => gone.TrySetResult();
            var stat = await RecipeSupport.RetryAsync(client, ct => client.ExistsAsync(predecessor, watcher, ct), cancellation).ConfigureAwait(false);
            if (stat is null) continue;
            try
            {
                await gone.Task.WaitAsync(cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await RemoveWatchQuietlyAsync(client, predecessor, watcher).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>A waiter that gives up takes its watch back, so abandoned waits do not pile up watches on the server.</summary>
    private static async Task RemoveWatchQuietlyAsync(CoordinatorClient client, string path, Action<WatchedEvent> watcher)
    {
        try
        {
            await client.RemoveWatchesAsync(path, WatcherType.Data, watcher).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KeeperException or ObjectDisposedException)
        {
            // Already fired, or the session is going away with its watches.
        }
    }
}

/// <summary>
/// Something held by owning an ephemeral node (a lock, a leadership). It is lost when the node disappears other
/// than by our release: the session expired, the client closed, or someone deleted it.
/// </summary>
internal sealed class OwnedNode
{
    private readonly CoordinatorClient _client;
    private readonly CancellationTokenSource _lost = new();
    private int _released;
    private int _lostOnce;

    private OwnedNode(CoordinatorClient client, string path)
    {
        _client = client;
        Path = path;
    }

    public string Path { get; }

    public CancellationToken Lost => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    public event Action? LostSignal;

    /// <summary>Starts watching a node we just came to own; the result is already lost if the node is gone or not ours.</summary>
    public static async Task<OwnedNode> WatchAsync(CoordinatorClient client, string path, CancellationToken cancellation)
    {
        var owned = new OwnedNode(client, path);
        client.StateChanged += owned.OnStateChanged;
        try
        {
            var stat = await RecipeSupport.RetryAsync(client, ct => client.ExistsAsync(path, owned.OnNodeEvent, ct), cancellation).ConfigureAwait(false);
            if (stat is null || stat.Value.EphemeralOwner != client.SessionId) owned.MarkLost();
            return owned;
        }
        catch
        {
            client.StateChanged -= owned.OnStateChanged;
            throw;
        }
    }

    private void OnStateChanged(object? sender, ConnectionStateChangedEventArgs e)
    {
        if (e.State is ConnectionState.Expired or ConnectionState.Closed) MarkLost();
    }

    private void OnNodeEvent(WatchedEvent e)
    {
        if (e.Type is EventType.NodeDeleted or EventType.None)
        {
            MarkLost();
            return;
        }
        if (Volatile.Read(ref _released) == 1 || IsLost) return;
        // Someone touched our node's data: keep watching it.
        _ = _client.ExistsAsync(Path, OnNodeEvent).ContinueWith(t => { if (t.IsFaulted || t.Result is null) MarkLost(); }, TaskScheduler.Default);
    }

    private void MarkLost()
    {
        // Signalled once, from whichever of the state handler, the watch or a re-arm notices first.
        if (Volatile.Read(ref _released) == 1 || Interlocked.Exchange(ref _lostOnce, 1) == 1) return;
        _client.StateChanged -= OnStateChanged;
        try { _lost.Cancel(); } catch (AggregateException) { /* a user's registration threw; the loss stands */ }
        LostSignal?.Invoke();
    }

    /// <summary>Gives the node up on purpose: deletes it and silences the lost signal.</summary>
    public async ValueTask ReleaseAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1) return;
        _client.StateChanged -= OnStateChanged;
        if (!IsLost) await RecipeSupport.DeleteQuietlyAsync(_client, Path).ConfigureAwait(false);
    }
}
