// The client's own table of watches: what to call when a notification arrives, and what to re-register after a reconnect.
using Coordinator.Core;

namespace Coordinator.Client.Watches;

/// <summary>Which client table a watch lives in. Exist watches are data watches set on a node that did not exist.</summary>
internal enum WatchKind
{
    Data,
    Exist,
    Child,
    Persistent,
    PersistentRecursive,
}

/// <summary>A watch asked for by a request; recorded only once the reply shows the server set it.</summary>
internal sealed record WatchRegistration(WatchKind Kind, string ClientPath, Action<WatchedEvent> Watcher, bool FromExists = false)
{
    public void OnReply(WatchRegistry registry, ErrorCode err)
    {
        switch (Kind)
        {
            case WatchKind.Data when err == ErrorCode.NoNode && FromExists:
                // exists() on a missing node leaves a watch that fires on creation.
                registry.Add(WatchKind.Exist, ClientPath, Watcher);
                break;
            case WatchKind.Data or WatchKind.Child or WatchKind.Persistent or WatchKind.PersistentRecursive when err == ErrorCode.Ok:
                registry.Add(Kind, ClientPath, Watcher);
                break;
        }
    }
}

/// <summary>The server-side paths of every watch, in setWatches2's five lists.</summary>
internal sealed record WatchSnapshot(
    List<string> Data, List<string> Exist, List<string> Child, List<string> Persistent, List<string> PersistentRecursive)
{
    public bool IsEmpty => Data.Count + Exist.Count + Child.Count + Persistent.Count + PersistentRecursive.Count == 0;
}

/// <summary>
/// Thread-safe: the receive loop adds and fires watches, callers remove them. One lock guards all five tables so an
/// event and a concurrent removal see a consistent view; work under it is a few dictionary operations.
/// </summary>
internal sealed class WatchRegistry
{
    private readonly object _gate = new();
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>>[] _tables =
        [new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal)];

    private Dictionary<string, HashSet<Action<WatchedEvent>>> Table(WatchKind kind) => _tables[(int)kind];

    public void Add(WatchKind kind, string clientPath, Action<WatchedEvent> watcher)
    {
        lock (_gate)
        {
            var table = Table(kind);
            if (!table.TryGetValue(clientPath, out var set)) table[clientPath] = set = [];
            set.Add(watcher);
        }
    }

    public int Count
    {
        get
        {
            lock (_gate) return _tables.Sum(t => t.Values.Sum(s => s.Count));
        }
    }

    /// <summary>
    /// The watchers a node event reaches, removing the one-shot ones (the server removed its side as it fired).
    /// Each watcher is called once even if it sits in several tables, as ZooKeeper's client does.
    /// </summary>
    public HashSet<Action<WatchedEvent>> Trigger(EventType type, string clientPath)
    {
        var result = new HashSet<Action<WatchedEvent>>();
        lock (_gate)
        {
            switch (type)
            {
                case EventType.NodeCreated:
                case EventType.NodeDataChanged:
                    TakeAll(WatchKind.Data, clientPath, result);
                    TakeAll(WatchKind.Exist, clientPath, result);
                    break;
                case EventType.NodeDeleted:
                    TakeAll(WatchKind.Data, clientPath, result);
                    TakeAll(WatchKind.Exist, clientPath, result);
                    TakeAll(WatchKind.Child, clientPath, result);
                    break;
                case EventType.NodeChildrenChanged:
                    TakeAll(WatchKind.Child, clientPath, result);
                    break;
            }
            if (Table(WatchKind.Persistent).TryGetValue(clientPath, out var persistent)) result.UnionWith(persistent);
            // Recursive watches see their own node and every descendant, but no child-list events (ZooKeeper 3.6 semantics).
            if (type != EventType.NodeChildrenChanged && Table(WatchKind.PersistentRecursive).Count > 0)
            {
                var recursive = Table(WatchKind.PersistentRecursive);
                for (string? p = clientPath; p is not null; p = p == "/" ? null : PathValidation.Parent(p))
                    if (recursive.TryGetValue(p, out var set)) result.UnionWith(set);
            }
        }
        return result;
    }

    private void TakeAll(WatchKind kind, string clientPath, HashSet<Action<WatchedEvent>> into)
    {
        if (Table(kind).Remove(clientPath, out var set)) into.UnionWith(set);
    }

    /// <summary>On session expiry: drops one-shot watches and returns their watchers; persistent ones are kept for the next session.</summary>
    public HashSet<Action<WatchedEvent>> DropOneShot()
    {
        var result = new HashSet<Action<WatchedEvent>>();
        lock (_gate)
        {
            foreach (var kind in (ReadOnlySpan<WatchKind>)[WatchKind.Data, WatchKind.Exist, WatchKind.Child])
            {
                foreach (var set in Table(kind).Values) result.UnionWith(set);
                Table(kind).Clear();
            }
        }
        return result;
    }

    /// <summary>Every watcher (on close, to tell them no more events will come).</summary>
    public HashSet<Action<WatchedEvent>> DropAll()
    {
        var result = new HashSet<Action<WatchedEvent>>();
        lock (_gate)
        {
            foreach (var table in _tables)
            {
                foreach (var set in table.Values) result.UnionWith(set);
                table.Clear();
            }
        }
        return result;
    }

    /// <summary>The kinds of client table a server-side WatcherType covers.</summary>
    public static ReadOnlySpan<WatchKind> KindsOf(WatcherType type) => type switch
    {
        WatcherType.Children => [WatchKind.Child],
        WatcherType.Data => [WatchKind.Data, WatchKind.Exist],
        WatcherType.Persistent => [WatchKind.Persistent],
        WatcherType.PersistentRecursive => [WatchKind.PersistentRecursive],
        _ => [WatchKind.Data, WatchKind.Exist, WatchKind.Child, WatchKind.Persistent, WatchKind.PersistentRecursive],
    };

    /// <summary>Whether a watcher (or any, when null) of the given type is registered on the path.</summary>
    public bool Contains(string clientPath, WatcherType type, Action<WatchedEvent>? watcher)
    {
        lock (_gate)
        {
            foreach (var kind in KindsOf(type))
                if (Table(kind).TryGetValue(clientPath, out var set) && (watcher is null ? set.Count > 0 : set.Contains(watcher)))
                    return true;
        }
        return false;
    }

    /// <summary>Whether, after removing <paramref name="watcher"/>, other watchers of the type would still need the server's watch.</summary>
    public bool HasOthers(string clientPath, WatcherType type, Action<WatchedEvent>? watcher)
    {
        if (watcher is null) return false;
        lock (_gate)
        {
            foreach (var kind in KindsOf(type))
                if (Table(kind).TryGetValue(clientPath, out var set) && set.Any(w => !w.Equals(watcher)))
                    return true;
        }
        return false;
    }

    /// <summary>Whether anything else watches the path once the watcher (or all, when null) of the type is gone.</summary>
    public bool HasWatchesBesides(string clientPath, WatcherType type, Action<WatchedEvent>? watcher)
    {
        var removing = KindsOf(type);
        lock (_gate)
        {
            foreach (WatchKind kind in Enum.GetValues<WatchKind>())
            {
                if (!Table(kind).TryGetValue(clientPath, out var set)) continue;
                bool removed = removing.Contains(kind);
                if (!removed && set.Count > 0) return true;
                if (removed && watcher is not null && set.Any(w => !w.Equals(watcher))) return true;
            }
        }
        return false;
    }

    /// <summary>Removes the watcher (or all, when null) of the type from the path; returns what was removed with the event each is owed.</summary>
    public List<(Action<WatchedEvent> Watcher, EventType Removed)> Remove(string clientPath, WatcherType type, Action<WatchedEvent>? watcher)
    {
        var removed = new List<(Action<WatchedEvent>, EventType)>();
        lock (_gate)
        {
            foreach (var kind in KindsOf(type))
            {
                if (!Table(kind).TryGetValue(clientPath, out var set)) continue;
                var eventType = kind switch
                {
                    WatchKind.Child => EventType.ChildWatchRemoved,
                    WatchKind.Persistent or WatchKind.PersistentRecursive => EventType.PersistentWatchRemoved,
                    _ => EventType.DataWatchRemoved,
                };
                if (watcher is null)
                {
                    foreach (var w in set) removed.Add((w, eventType));
                    set.Clear();
                }
                else if (set.Remove(watcher))
                {
                    removed.Add((watcher, eventType));
                }
                if (set.Count == 0) Table(kind).Remove(clientPath);
            }
        }
        return removed;
    }

    /// <summary>The server paths of every watch, for setWatches2 after a reconnect.</summary>
    public WatchSnapshot Snapshot(Func<string, string> toServer)
    {
        lock (_gate)
        {
            List<string> Paths(WatchKind kind) => Table(kind).Keys.Select(toServer).ToList();
            return new WatchSnapshot(Paths(WatchKind.Data), Paths(WatchKind.Exist), Paths(WatchKind.Child),
                Paths(WatchKind.Persistent), Paths(WatchKind.PersistentRecursive));
        }
    }
}
