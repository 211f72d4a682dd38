// The watch vocabulary of the wire protocol (event types, keeper states, watcher types), shared by server and client.
namespace Coordinator.Core;

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
