// One committed change to one znode, as the tree reports it after an apply (the gRPC watch window keeps recent ones).
using Coordinator.Core;
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine;

/// <param name="Zxid">The txn that made the change; a multi or a session close makes several with one zxid.</param>
/// <param name="Type">NodeCreated, NodeDeleted, NodeDataChanged, or NodeChildrenChanged on the parent.</param>
/// <param name="Acl">The ACL of <paramref name="Path"/> at the change, so a watcher is told only what it may read.</param>
public readonly record struct NodeChange(long Zxid, EventType Type, string Path, IReadOnlyList<Acl> Acl);
