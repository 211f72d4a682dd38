// The data and child watch tables of one server, and the ordered list of events the last apply fired.
using Coordinator.Core;
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine.Watches;

public sealed class WatchManager
{
    public WatchTable DataWatches { get; } = new();
    public WatchTable ChildWatches { get; } = new();

    /// <summary>Events fired since the last <see cref="DrainEvents"/>, in the order the changes happened.</summary>
    private readonly List<WatchEvent> _pending = [];

    public void AddDataWatch(string path, long watcher) => DataWatches.Add(path, watcher, WatchModes.Standard);

    public void AddChildWatch(string path, long watcher) => ChildWatches.Add(path, watcher, WatchModes.Standard);

    /// <summary>addWatch: a persistent watch sits in both tables, as in ZooKeeper.</summary>
    public void AddPersistentWatch(string path, long watcher, bool recursive)
    {
        var mode = recursive ? WatchModes.Recursive : WatchModes.Persistent;
        DataWatches.Add(path, watcher, mode);
        ChildWatches.Add(path, watcher, mode);
    }

    /// <summary>
    /// Decides whether a watcher may hear of a change to a node with the given ACL (READ, in the server). As in
    /// ZooKeeper since CVE-2024-23944, a watcher without it loses its one-shot watch but gets no event, so watches
    /// never leak paths the session cannot read. Null lets every event through (the tree alone, in tests).
    /// </summary>
    public Func<long, IReadOnlyList<Acl>, bool>? MayRead { get; set; }

    /// <param name="acl">The ACL of the node the event is about (for NodeChildrenChanged, the parent).</param>
    public IReadOnlySet<long> TriggerData(string path, EventType type, IReadOnlyList<Acl> acl, IReadOnlySet<long>? suppress = null) =>
        Trigger(DataWatches, path, type, acl, suppress);

    public IReadOnlySet<long> TriggerChild(string path, EventType type, IReadOnlyList<Acl> acl, IReadOnlySet<long>? suppress = null) =>
        Trigger(ChildWatches, path, type, acl, suppress);

    /// <summary>What a trigger that fires nobody returns.</summary>
    private static readonly IReadOnlySet<long> NoneFired = new HashSet<long>();

    private IReadOnlySet<long> Trigger(WatchTable table, string path, EventType type, IReadOnlyList<Acl> acl, IReadOnlySet<long>? suppress)
    {
        // Most changes have no watcher: answer without allocating a set.
        if (!table.CanFire(path, type)) return NoneFired;
        var fired = new HashSet<long>();
        table.Trigger(path, type, fired, suppress);
        foreach (var watcher in fired)
            if (MayRead is null || MayRead(watcher, acl)) _pending.Add(new WatchEvent(watcher, type, path));
        return fired;
    }

    // As in ZooKeeper 3.8, Children and Data name a table, not a mode: they also match (and remove) the
    // table's half of a persistent watch.
    public bool Contains(string path, WatcherType type, long watcher) => type switch
    {
        WatcherType.Children => ChildWatches.Contains(path, watcher, WatchModes.None),
        WatcherType.Data => DataWatches.Contains(path, watcher, WatchModes.None),
        WatcherType.Any => ChildWatches.Contains(path, watcher, WatchModes.None) || DataWatches.Contains(path, watcher, WatchModes.None),
        WatcherType.Persistent => DataWatches.Contains(path, watcher, WatchModes.Persistent),
        WatcherType.PersistentRecursive => DataWatches.Contains(path, watcher, WatchModes.Recursive),
        _ => false,
    };

    public bool Remove(string path, WatcherType type, long watcher)
    {
        switch (type)
        {
            case WatcherType.Children: return ChildWatches.Remove(path, watcher, WatchModes.None);
            case WatcherType.Data: return DataWatches.Remove(path, watcher, WatchModes.None);
            case WatcherType.Any:
                bool child = ChildWatches.Remove(path, watcher, WatchModes.None);
                return DataWatches.Remove(path, watcher, WatchModes.None) | child;
            case WatcherType.Persistent:
            case WatcherType.PersistentRecursive:
                var mode = type == WatcherType.Persistent ? WatchModes.Persistent : WatchModes.Recursive;
                bool inChild = ChildWatches.Remove(path, watcher, mode);
                return DataWatches.Remove(path, watcher, mode) | inChild;
            default:
                return false;
        }
    }

    public void RemoveWatcher(long watcher)
    {
        DataWatches.RemoveWatcher(watcher);
        ChildWatches.RemoveWatcher(watcher);
    }

    /// <summary>Hands over the events fired so far and starts a new list; none (most applies) allocates nothing.</summary>
    public IReadOnlyList<WatchEvent> DrainEvents()
    {
        if (_pending.Count == 0) return Array.Empty<WatchEvent>();
        var events = new List<WatchEvent>(_pending);
        _pending.Clear();
        return events;
    }

    public void AddEvent(WatchEvent e) => _pending.Add(e);

    public int WatchCount => DataWatches.Count + ChildWatches.Count;
}
