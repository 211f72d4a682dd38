// Keeps one node's data (or its absence) current through a persistent watch, with change events and a value stream.
using Coordinator.Core;

namespace Coordinator.Client.Recipes;

public sealed class NodeCacheChangedEventArgs(NodeData? previous, NodeData? current) : EventArgs
{
    public NodeData? Previous { get; } = previous;

    /// <summary>Null when the node no longer exists.</summary>
    public NodeData? Current { get; } = current;
}

/// <summary>The data and Stat of the node at <see cref="CoordinatorCache.Path"/>, or null while it does not exist.</summary>
public sealed class NodeCache(CoordinatorClient client, string path) : CoordinatorCache(client, path, AddWatchMode.Persistent)
{
    private readonly Subscribers<NodeData?> _subscribers = new();
    private NodeData? _current;

    public NodeData? Current => Volatile.Read(ref _current);

    /// <summary>Raised on the cache's task, in order, after <see cref="Current"/> changed.</summary>
    public event EventHandler<NodeCacheChangedEventArgs>? Changed;

    /// <summary>The current value, then each new value. Subscribes when called; a slow reader skips to the latest value.</summary>
    public IAsyncEnumerable<NodeData?> WatchAsync(CancellationToken cancellation = default) => _subscribers.Subscribe(1, () => Current, cancellation);

    private protected override Task ResyncAsync(CancellationToken cancellation) => RefreshAsync(cancellation);

    private protected override Task ApplyAsync(WatchedEvent e, CancellationToken cancellation) =>
        e.Type == EventType.NodeChildrenChanged ? Task.CompletedTask : RefreshAsync(cancellation);

    private async Task RefreshAsync(CancellationToken cancellation)
    {
        NodeData? fresh;
        try
        {
            fresh = await Client.GetDataAsync(Path, cancellation).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            fresh = null;
        }
        var previous = _current;
        if (previous?.Stat == fresh?.Stat && (previous is null || previous.Data.AsSpan().SequenceEqual(fresh!.Data))) return;
        Volatile.Write(ref _current, fresh);
        _subscribers.Publish(fresh);
        Changed?.Invoke(this, new NodeCacheChangedEventArgs(previous, fresh));
    }

    private protected override void Stopped() => _subscribers.Complete();
}
