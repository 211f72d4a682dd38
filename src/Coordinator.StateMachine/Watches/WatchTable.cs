// One table of watches (data or child), path → watcher → modes, with the reverse index per watcher.
using Coordinator.Core;

namespace Coordinator.StateMachine.Watches;

public sealed class WatchTable
{
    private readonly Dictionary<string, Dictionary<long, WatchModes>> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<long, HashSet<string>> _byWatcher = new();
    private int _recursiveCount;

    public int Count { get; private set; }
    public int PathCount => _byPath.Count;

    public void Add(string path, long watcher, WatchModes mode)
    {
        if (!_byPath.TryGetValue(path, out var watchers)) _byPath[path] = watchers = new Dictionary<long, WatchModes>();
        watchers.TryGetValue(watcher, out var modes);
        if ((modes & mode) == mode) return;
        if (modes == WatchModes.None) Count++;
        if ((mode & WatchModes.Recursive) != 0 && (modes & WatchModes.Recursive) == 0) _recursiveCount++;
        watchers[watcher] = modes | mode;
        if (!_byWatcher.TryGetValue(watcher, out var paths)) _byWatcher[watcher] = paths = new HashSet<string>(StringComparer.Ordinal);
        paths.Add(path);
    }

    public bool Contains(string path, long watcher, WatchModes mode) =>
        _byPath.TryGetValue(path, out var watchers) && watchers.TryGetValue(watcher, out var modes)
        && (mode == WatchModes.None ? modes != WatchModes.None : (modes & mode) != 0);

    /// <summary>Removes the given modes (None = all) of one watcher on one path; true when something was removed.</summary>
    public bool Remove(string path, long watcher, WatchModes mode)
    {
        if (!_byPath.TryGetValue(path, out var watchers) || !watchers.TryGetValue(watcher, out var modes)) return false;
        var removing = mode == WatchModes.None ? modes : modes & mode;
        if (removing == WatchModes.None) return false;
        SetModes(path, watchers, watcher, modes, modes & ~removing);
        return true;
    }

    private void SetModes(string path, Dictionary<long, WatchModes> watchers, long watcher, WatchModes old, WatchModes now)
    {
        if ((old & WatchModes.Recursive) != 0 && (now & WatchModes.Recursive) == 0) _recursiveCount--;
        if (now != WatchModes.None)
        {
            watchers[watcher] = now;
            return;
        }
        watchers.Remove(watcher);
        Count--;
        if (watchers.Count == 0) _byPath.Remove(path);
        if (_byWatcher.TryGetValue(watcher, out var paths))
        {
            paths.Remove(path);
            if (paths.Count == 0) _byWatcher.Remove(watcher);
        }
    }

    public void RemoveWatcher(long watcher)
    {
        if (!_byWatcher.TryGetValue(watcher, out var paths)) return;
        foreach (var path in paths.ToArray())
        {
            var watchers = _byPath[path];
            SetModes(path, watchers, watcher, watchers[watcher], WatchModes.None);
        }
    }

    /// <summary>False when <see cref="Trigger"/> on this path and event type would surely fire nobody.</summary>
    public bool CanFire(string path, EventType type) =>
        _byPath.ContainsKey(path) || (_recursiveCount > 0 && type != EventType.NodeChildrenChanged && path != "/");

    /// <summary>
    /// Collects the watchers an event on <paramref name="path"/> fires, consuming one-shot registrations.
    /// Recursive watches on the path's ancestors fire too, but never for NodeChildrenChanged.
    /// </summary>
    public void Trigger(string path, EventType type, HashSet<long> fired, IReadOnlySet<long>? suppress)
    {
        if (_byPath.TryGetValue(path, out var watchers))
        {
            foreach (var (watcher, modes) in watchers.ToArray())
            {
                bool deliver = (modes & (WatchModes.Standard | WatchModes.Persistent)) != 0
                    || ((modes & WatchModes.Recursive) != 0 && type != EventType.NodeChildrenChanged);
                if ((modes & WatchModes.Standard) != 0) SetModes(path, watchers, watcher, modes, modes & ~WatchModes.Standard);
                if (deliver && suppress?.Contains(watcher) != true) fired.Add(watcher);
            }
        }
        if (_recursiveCount == 0 || type == EventType.NodeChildrenChanged || path == "/") return;
        for (string p = PathValidation.Parent(path); ; p = PathValidation.Parent(p))
        {
            if (_byPath.TryGetValue(p, out var ancestors))
                foreach (var (watcher, modes) in ancestors)
                    if ((modes & WatchModes.Recursive) != 0 && suppress?.Contains(watcher) != true) fired.Add(watcher);
            if (p == "/") break;
        }
    }

    public IEnumerable<KeyValuePair<string, Dictionary<long, WatchModes>>> ByPath => _byPath;
    public IEnumerable<KeyValuePair<long, HashSet<string>>> ByWatcher => _byWatcher;
}
