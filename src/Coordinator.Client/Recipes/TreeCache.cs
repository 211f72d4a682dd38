// Keeps a whole subtree (data and Stat of every node) current through one persistent recursive watch.
using System.Collections.Immutable;
using Coordinator.Core;

namespace Coordinator.Client.Recipes;

public enum TreeCacheEventType
{
    NodeAdded,
    NodeUpdated,
    NodeRemoved,
}

/// <summary>One change to the cached tree; <see cref="Data"/> is the new state (the last known one for a removal).</summary>
public sealed record TreeCacheEvent(TreeCacheEventType Type, string Path, NodeData Data);

/// <summary>
/// The node at <see cref="CoordinatorCache.Path"/> and everything below it (to <see cref="MaxDepth"/> levels), kept
/// current by a single persistent recursive watch (addWatch mode 1): no per-node watches to re-arm, no missed
/// changes between a one-shot watch firing and being set again.
/// </summary>
public sealed class TreeCache : CoordinatorCache
{
    /// <summary>Events a subscriber may fall behind by before the oldest are dropped (read <see cref="Snapshot"/> then).</summary>
    public const int SubscriberEventsMax = 10_000;

    private readonly Subscribers<TreeCacheEvent> _subscribers = new();
    private ImmutableDictionary<string, NodeData> _nodes = ImmutableDictionary.Create<string, NodeData>(StringComparer.Ordinal);

    public TreeCache(CoordinatorClient client, string path, int maxDepth = int.MaxValue)
        : base(client, path, AddWatchMode.PersistentRecursive)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDepth);
        MaxDepth = maxDepth;
    }

    /// <summary>0 caches only the root; 1 the root and its children; and so on.</summary>
    public int MaxDepth { get; }

    /// <summary>Every cached node by path; an immutable snapshot, safe to keep and enumerate.</summary>
    public IReadOnlyDictionary<string, NodeData> Snapshot => Volatile.Read(ref _nodes);

    public NodeData? Get(string path) => Snapshot.GetValueOrDefault(path);

    /// <summary>The cached children's names of <paramref name="path"/>, sorted (a scan of the snapshot).</summary>
    public IReadOnlyList<string> GetChildren(string path)
    {
        string prefix = path == "/" ? "/" : path + "/";
        return Snapshot.Keys
            .Where(p => p.Length > prefix.Length && p.StartsWith(prefix, StringComparison.Ordinal) && p.IndexOf('/', prefix.Length) < 0)
            .Select(p => p[prefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Raised on the cache's task, in order, after each change was applied.</summary>
    public event EventHandler<TreeCacheEvent>? Changed;

    /// <summary>Every change from the moment of the call, in order.</summary>
    public IAsyncEnumerable<TreeCacheEvent> ChangesAsync(CancellationToken cancellation = default) =>
        _subscribers.Subscribe(SubscriberEventsMax, null, cancellation);

    private int Depth(string path)
    {
        if (path == Path) return 0;
        int depth = 0;
        for (int i = Path == "/" ? 0 : Path.Length; i < path.Length; i++)
            if (path[i] == '/') depth++;
        return depth;
    }

    private protected override async Task ResyncAsync(CancellationToken cancellation)
    {
        var fresh = new Dictionary<string, NodeData>(StringComparer.Ordinal);
        await LoadAsync([Path], 0, fresh, cancellation).ConfigureAwait(false);
        var current = _nodes;
        foreach (var (path, data) in fresh)
        {
            if (!current.TryGetValue(path, out var old)) Publish(current = current.SetItem(path, data), TreeCacheEventType.NodeAdded, path, data);
            else if (old.Stat != data.Stat) Publish(current = current.SetItem(path, data), TreeCacheEventType.NodeUpdated, path, data);
        }
        foreach (var (path, data) in _nodes.Where(kv => !fresh.ContainsKey(kv.Key)).OrderByDescending(kv => kv.Key.Length))
            Publish(current = current.Remove(path), TreeCacheEventType.NodeRemoved, path, data);
    }

    /// <summary>Reads a level of nodes at once (the client pipelines the requests), then their children.</summary>
    private async Task LoadAsync(List<string> level, int depth, Dictionary<string, NodeData> into, CancellationToken cancellation)
    {
        while (level.Count > 0)
        {
            var reads = level.Select(p => ReadOrNullAsync(p, cancellation)).ToList();
            var next = new List<string>();
            for (int i = 0; i < level.Count; i++)
            {
                var data = await reads[i].ConfigureAwait(false);
                if (data is null) continue;
                into[level[i]] = data;
                if (depth < MaxDepth && data.Stat.NumChildren > 0) next.Add(level[i]);
            }
            var listings = next.Select(p => ChildrenOrEmptyAsync(p, cancellation)).ToList();
            level = [];
            for (int i = 0; i < next.Count; i++)
                foreach (string child in await listings[i].ConfigureAwait(false))
                    level.Add(PathValidation.Join(next[i], child));
            depth++;
        }
    }

    private async Task<NodeData?> ReadOrNullAsync(string path, CancellationToken cancellation)
    {
        try { return await Client.GetDataAsync(path, cancellation).ConfigureAwait(false); }
        catch (NoNodeException) { return null; }
    }

    private async Task<IReadOnlyList<string>> ChildrenOrEmptyAsync(string path, CancellationToken cancellation)
    {
        try { return (await Client.GetChildrenAsync(path, cancellation).ConfigureAwait(false)).Children; }
        catch (NoNodeException) { return []; }
    }

    private protected override async Task ApplyAsync(WatchedEvent e, CancellationToken cancellation)
    {
        string? path = e.Path;
        if (path is null || Depth(path) > MaxDepth) return;
        if (e.Type == EventType.NodeDeleted)
        {
            RemoveSubtree(path);
            return;
        }
        var data = await ReadOrNullAsync(path, cancellation).ConfigureAwait(false);
        if (data is null)
        {
            RemoveSubtree(path);
            return;
        }
        var current = _nodes;
        if (!current.TryGetValue(path, out var old)) Publish(current.SetItem(path, data), TreeCacheEventType.NodeAdded, path, data);
        else if (old.Stat != data.Stat && data.Stat.Mzxid >= old.Stat.Mzxid)
            Publish(current.SetItem(path, data), TreeCacheEventType.NodeUpdated, path, data);
        // A subtree created faster than its events arrive is still reported node by node; this only fills in
        // children that existed before our watch saw their parent (e.g. a node moved in by a multi).
        if (data.Stat.NumChildren > 0 && Depth(path) < MaxDepth && GetChildren(path).Count < data.Stat.NumChildren)
        {
            var fresh = new Dictionary<string, NodeData>(StringComparer.Ordinal);
            await LoadAsync([path], Depth(path), fresh, cancellation).ConfigureAwait(false);
            foreach (var (p, d) in fresh)
                if (!_nodes.ContainsKey(p)) Publish(_nodes.SetItem(p, d), TreeCacheEventType.NodeAdded, p, d);
        }
    }

    private void RemoveSubtree(string path)
    {
        string prefix = path + "/";
        foreach (var (p, d) in _nodes.Where(kv => kv.Key == path || kv.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderByDescending(kv => kv.Key.Length).ToList())
            Publish(_nodes.Remove(p), TreeCacheEventType.NodeRemoved, p, d);
    }

    private void Publish(ImmutableDictionary<string, NodeData> nodes, TreeCacheEventType type, string path, NodeData data)
    {
        Volatile.Write(ref _nodes, nodes);
        var e = new TreeCacheEvent(type, path, data);
        _subscribers.Publish(e);
        Changed?.Invoke(this, e);
    }

    private protected override void Stopped() => _subscribers.Complete();
}
