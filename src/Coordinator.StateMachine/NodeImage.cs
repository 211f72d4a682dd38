// One znode as a snapshot stores it: copied fields, its name and its depth in a pre-order list.
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine;

/// <summary>
/// One znode as a snapshot stores it, in a pre-order list: its name and depth (the root is "" at depth 0), so a
/// path is rebuilt from the names above it rather than kept per node. Data arrays are never changed in place (a
/// set replaces them), so sharing them is safe.
/// </summary>
public readonly record struct NodeImage(string Name, int Depth, byte[]? Data, IReadOnlyList<Acl> Acl, PersistedStat Stat);
