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

    /// <summary>
    /// Child names (not paths), unordered like ZooKeeper's listings. Most znodes are leaves, so the set exists only
    /// while there are children: an empty HashSet per leaf cost about 64 bytes of every znode.
    /// </summary>
    public IReadOnlyCollection<string> Children => (IReadOnlyCollection<string>?)_children ?? [];

    private HashSet<string>? _children;

    public bool HasChild(string name) => _children?.Contains(name) ?? false;

    public void AddChild(string name) => (_children ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);

    public void RemoveChild(string name)
    {
        if (_children is null || !_children.Remove(name)) return;
        if (_children.Count == 0) _children = null;
    }

    /// <summary>
    /// The Stat clients see. As in ZooKeeper, the stored cversion counts child creations only (it also numbers
    /// sequential children), and clients see creations plus deletions: every missing child was one create and
    /// one delete, so the visible value is 2 × cversion − numChildren. Containers and TTL nodes show
    /// ephemeralOwner 0.
    /// </summary>
    public Stat ToStat() => new(Czxid, Mzxid, Ctime, Mtime, Version, Cversion * 2 - Children.Count, Aversion,
        EphemeralKinds.Of(EphemeralOwner) == EphemeralKind.Normal ? EphemeralOwner : 0,
        DataLength, Children.Count, Pzxid);

    /// <summary>The fields a snapshot stores and the tree digest covers, copied (ZooKeeper's StatPersisted).</summary>
    public PersistedStat Persisted => new(Czxid, Mzxid, Ctime, Mtime, Version, Cversion, Aversion, EphemeralOwner, Pzxid);
}

/// <summary>A copy of a znode's stored Stat fields, as a snapshot writes them (cversion as stored: creations only).</summary>
public readonly record struct PersistedStat(long Czxid, long Mzxid, long Ctime, long Mtime, int Version, int Cversion,
    int Aversion, long EphemeralOwner, long Pzxid);
