// One znode: its data, ACL and the persisted part of its Stat, plus the names of its children.
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine;

public sealed class DataNode
{
    public DataNode(byte[]? data, IReadOnlyList<Acl> acl, long zxid, long time, long ephemeralOwner)
    {
        Data = data;
        Acl = acl;
        Czxid = Mzxid = Pzxid = zxid;
        Ctime = Mtime = time;
        EphemeralOwner = ephemeralOwner;
    }

    /// <summary>Null when the client created or set it as null (ZooKeeper keeps the difference from empty).</summary>
    public byte[]? Data { get; set; }

    public int DataLength => Data?.Length ?? 0;
    public IReadOnlyList<Acl> Acl { get; set; }
    public long Czxid { get; set; }
    public long Mzxid { get; set; }
    public long Ctime { get; set; }
    public long Mtime { get; set; }
    public int Version { get; set; }
    public int Cversion { get; set; }
    public int Aversion { get; set; }
    public long EphemeralOwner { get; set; }
    public long Pzxid { get; set; }

    /// <summary>The <see cref="TreeCapture"/> generation that has already taken this node's state (see there).</summary>
    internal int CaptureMark;

    /// <summary>
    /// Child names (not paths), unordered like ZooKeeper's listings. A node knows its children by name and the
    /// tree finds a node by walking its path from the root, so no znode keeps its full path: the path string and a
    /// tree-wide index entry were about a fifth of every znode's memory. Most znodes are leaves, so the map exists
    /// only while there are children.
    /// </summary>
    public IReadOnlyCollection<string> Children => _children is null ? [] : _children.Keys;

    public int ChildCount => _children?.Count ?? 0;

    private Dictionary<string, DataNode>? _children;

    public bool HasChild(string name) => _children?.ContainsKey(name) ?? false;

    /// <summary>The child called <paramref name="name"/>, looked up without making a string of it.</summary>
    public DataNode? Child(ReadOnlySpan<char> name) =>
        _children is not null && _children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out var child) ? child : null;

    /// <summary>Children with their names, for walks of the tree; empty for a leaf.</summary>
    internal Dictionary<string, DataNode>? ChildMap => _children;

    internal void AddChild(string name, DataNode child) => (_children ??= new Dictionary<string, DataNode>(StringComparer.Ordinal)).Add(name, child);

    internal void RemoveChild(ReadOnlySpan<char> name)
    {
        if (_children is null || !_children.GetAlternateLookup<ReadOnlySpan<char>>().Remove(name)) return;
        if (_children.Count == 0) _children = null;
    }

    /// <summary>
    /// The Stat clients see. As in ZooKeeper, the stored cversion counts child creations only (it also numbers
    /// sequential children), and clients see creations plus deletions: every missing child was one create and
    /// one delete, so the visible value is 2 × cversion − numChildren. Containers and TTL nodes show
    /// ephemeralOwner 0.
    /// </summary>
    public Stat ToStat() => new(Czxid, Mzxid, Ctime, Mtime, Version, Cversion * 2 - ChildCount, Aversion,
        EphemeralKinds.Of(EphemeralOwner) == EphemeralKind.Normal ? EphemeralOwner : 0,
        DataLength, ChildCount, Pzxid);

    /// <summary>The fields a snapshot stores and the tree digest covers, copied (ZooKeeper's StatPersisted).</summary>
    public PersistedStat Persisted => new(Czxid, Mzxid, Ctime, Mtime, Version, Cversion, Aversion, EphemeralOwner, Pzxid);
}

/// <summary>A copy of a znode's stored Stat fields, as a snapshot writes them (cversion as stored: creations only).</summary>
public readonly record struct PersistedStat(long Czxid, long Mzxid, long Ctime, long Mtime, int Version, int Cversion,
    int Aversion, long EphemeralOwner, long Pzxid);
