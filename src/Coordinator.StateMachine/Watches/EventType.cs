// Watch event types, keeper states and watcher types as ZooKeeper numbers them on the wire.
namespace Coordinator.StateMachine.Watches;

public enum EventType
{
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
    DataWatchRemoved = 5,
    ChildWatchRemoved = 6,
    PersistentWatchRemoved = 7,
}

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

/// <summary>The watcher kinds a checkWatches/removeWatches request names.</summary>
public enum WatcherType
{
    Children = 1,
    Data = 2,
    Any = 3,
    Persistent = 4,
    PersistentRecursive = 5,
}

/// <summary>How a watcher is registered on one path in one table; a watcher may hold several at once.</summary>
[Flags]
public enum WatchModes
{
    None = 0,
    Standard = 1,
    Persistent = 2,
    Recursive = 4,
}

/// <summary>A watch event addressed to one watcher (a session).</summary>
public readonly record struct WatchEvent(long Watcher, EventType Type, string Path);
