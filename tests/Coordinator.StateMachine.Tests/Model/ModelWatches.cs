// The reference watch model: a set of (session, path, kind) registrations and the events each tree change fires.
using Coordinator.Core;
using Coordinator.Jute.Records;
using Coordinator.StateMachine.Watches;

namespace Coordinator.StateMachine.Tests.Model;

/// <summary>
/// Data: one-shot from getData/exists. Child: one-shot from getChildren. Persistent and Recursive: from addWatch, never consumed.
/// A session may hold several kinds on one path at once and each keeps working (ZooKeeper 3.9 semantics, ZOOKEEPER-4466;
/// 3.8 kept one mode per session and path, so a later registration replaced an earlier one).
/// </summary>
public enum WatchKind { Data, Child, Persistent, Recursive }

/// <summary>An event for one session; <see cref="Acl"/> is the ACL ZooKeeper checks for READ before sending it.</summary>
public readonly record struct ModelEvent(long Session, EventType Type, string Path, IReadOnlyList<Acl>? Acl = null)
{
    public override string ToString() => $"{Type} {ScenarioPaths.Show(Path)} -> 0x{Session:x}";
}

public sealed class ModelWatches
{
    private readonly HashSet<(long Session, string Path, WatchKind Kind)> _watches = [];

    public IEnumerable<(long Session, string Path, WatchKind Kind)> All => _watches;

    /// <summary>Which kinds of registration caused events (test coverage only; "Recursive on ancestor" counts separately).</summary>
    public Dictionary<string, int> Hits { get; } = [];

    private void Hit(IEnumerable<(long Session, string Path, WatchKind Kind)> matched, string path)
    {
        foreach (var w in matched)
        {
            string key = w.Kind == WatchKind.Recursive && w.Path != path ? "Recursive on ancestor" : w.Kind.ToString();
            Hits[key] = Hits.GetValueOrDefault(key) + 1;
        }
    }

    public void Add(long session, string path, WatchKind kind) => _watches.Add((session, path, kind));

    public void RemoveSession(long session) => _watches.RemoveWhere(w => w.Session == session);

    /// <summary>The events one change fires, in ZooKeeper's order; one event per watcher per trigger.</summary>
    public void Fire(Change change, List<ModelEvent> events)
    {
        string parent = ModelRules.ParentOf(change.Path);
        switch (change.Kind)
        {
            case ChangeKind.Created:
                DataTrigger(change.Path, EventType.NodeCreated, change.NodeAcl, events);
                ChildTrigger(parent, EventType.NodeChildrenChanged, change.ParentAcl, [], events);
                break;
            case ChangeKind.DataChanged:
                DataTrigger(change.Path, EventType.NodeDataChanged, change.NodeAcl, events);
                break;
            case ChangeKind.Deleted:
                var notified = DataTrigger(change.Path, EventType.NodeDeleted, change.NodeAcl, events);
                ChildTrigger(change.Path, EventType.NodeDeleted, change.NodeAcl, notified, events);
                ChildTrigger(parent, EventType.NodeChildrenChanged, change.ParentAcl, [], events);
                break;
        }
    }

    /// <summary>Data watchers of the path, persistent watchers of the path, recursive watchers of the path or any ancestor.</summary>
    private HashSet<long> DataTrigger(string path, EventType type, IReadOnlyList<Acl> acl, List<ModelEvent> events)
    {
        var matched = _watches
            .Where(w => (w.Path == path && w.Kind is WatchKind.Data or WatchKind.Persistent)
                        || (w.Kind == WatchKind.Recursive && IsAncestorOrSelf(w.Path, path)))
            .ToList();
        Hit(matched, path);
        var who = matched.Select(w => w.Session).ToHashSet();
        _watches.RemoveWhere(w => w.Path == path && w.Kind == WatchKind.Data);
        foreach (long s in who.Order()) events.Add(new ModelEvent(s, type, path, acl));
        return who;
    }

    /// <summary>Child and persistent watchers of the path; recursive watchers never see child events.</summary>
    private void ChildTrigger(string path, EventType type, IReadOnlyList<Acl> acl, HashSet<long> alreadyNotified, List<ModelEvent> events)
    {
        var matched = _watches.Where(w => w.Path == path && w.Kind is WatchKind.Child or WatchKind.Persistent).ToList();
        Hit(matched.Where(w => !alreadyNotified.Contains(w.Session)), path);
        var who = matched.Select(w => w.Session).ToHashSet();
        _watches.RemoveWhere(w => w.Path == path && w.Kind == WatchKind.Child);
        foreach (long s in who.Order())
            if (!alreadyNotified.Contains(s)) events.Add(new ModelEvent(s, type, path, acl));
    }

    private static bool IsAncestorOrSelf(string ancestor, string path) =>
        ancestor == path || ancestor == "/" || path.StartsWith(ancestor + "/", StringComparison.Ordinal);
}
