// What a watch delivers: the event type, the connection state it was seen in, and the client-side path.
namespace Coordinator.Client;

/// <summary>Watcher.Event.EventType, with ZooKeeper's wire values.</summary>
public enum EventType
{
    /// <summary>Not about a node: a connection state change (only sent to watches when their session expires).</summary>
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
    DataWatchRemoved = 5,
    ChildWatchRemoved = 6,
    PersistentWatchRemoved = 7,
}

/// <summary>Watcher.Event.KeeperState, with ZooKeeper's wire values.</summary>
public enum KeeperState
{
    Disconnected = 0,
    SyncConnected = 3,
    AuthFailed = 4,
    ConnectedReadOnly = 5,
    SaslAuthenticated = 6,
    Expired = -112,
    Closed = 7,
}

/// <summary>The watch kinds removeWatches and checkWatches name (WatcherType).</summary>
public enum WatcherType
{
    Children = 1,
    Data = 2,
    Any = 3,
    Persistent = 4,
    PersistentRecursive = 5,
}

/// <summary>addWatch's modes (AddWatchMode).</summary>
public enum AddWatchMode
{
    /// <summary>Like a data watch plus a child watch on one node, that stays after firing.</summary>
    Persistent = 0,

    /// <summary>Created, deleted and data-changed events for a node and every node below it, staying after firing.</summary>
    PersistentRecursive = 1,
}

/// <summary>One watch notification. <see cref="Path"/> is relative to the client's chroot.</summary>
public sealed record WatchedEvent(EventType Type, KeeperState State, string? Path)
{
    public override string ToString() => $"WatchedEvent state:{State} type:{Type} path:{Path}";
}
