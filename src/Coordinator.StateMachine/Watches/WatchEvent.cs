// How watches are held on the server: registration modes, and the event addressed to one watcher.
using Coordinator.Core;
namespace Coordinator.StateMachine.Watches;

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
