// What a watch delivers: the event type, the connection state it was seen in, and the client-side path.
using Coordinator.Core;
namespace Coordinator.Client;

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
