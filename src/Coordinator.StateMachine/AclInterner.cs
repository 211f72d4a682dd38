// Shares one list instance among znodes with equal ACLs, as ZooKeeper's ACL cache does, so a million nodes hold a handful of lists.
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine;

/// <remarks>
/// Called for every znode created or restored, so it must be cheap: lists are keyed by content without building
/// a key, and the last list seen is remembered by reference (a snapshot hands the same cached list to many znodes
/// in a row). Interned lists are arrays nobody changes.
/// </remarks>
internal sealed class AclInterner
{
    private readonly Dictionary<IReadOnlyList<Acl>, IReadOnlyList<Acl>> _lists = new(AclListComparer.Instance);
    private readonly List<IReadOnlyList<Acl>> _ordered = [];
    private IReadOnlyList<Acl>? _lastSeen;
    private IReadOnlyList<Acl>? _lastInterned;

    public void Clear()
    {
        _lists.Clear();
        _ordered.Clear();
        _lastSeen = _lastInterned = null;
    }

    /// <summary>Every list interned so far, in the order first seen (lists no node uses any more stay).</summary>
    public IReadOnlyList<IReadOnlyList<Acl>> Lists => _ordered;

    public IReadOnlyList<Acl> Intern(IReadOnlyList<Acl> acl)
    {
        if (_lastInterned is not null && (ReferenceEquals(acl, _lastSeen) || ReferenceEquals(acl, _lastInterned))) return _lastInterned;
        if (!_lists.TryGetValue(acl, out var interned))
        {
            interned = acl.ToArray();
            _lists[interned] = interned;
            _ordered.Add(interned);
        }
        _lastSeen = acl;
        _lastInterned = interned;
        return interned;
    }
}

/// <summary>Compares ACL lists by content, in order, as ZooKeeper's ACL cache keys them.</summary>
public sealed class AclListComparer : IEqualityComparer<IReadOnlyList<Acl>>
{
    public static readonly AclListComparer Instance = new();

    public bool Equals(IReadOnlyList<Acl>? x, IReadOnlyList<Acl>? y)
    {
        if (ReferenceEquals(x, y)) return true;
        if (x is null || y is null || x.Count != y.Count) return false;
        for (int i = 0; i < x.Count; i++)
            if (!x[i].Equals(y[i])) return false;
        return true;
    }

    public int GetHashCode(IReadOnlyList<Acl> acl)
    {
        var hash = new HashCode();
        for (int i = 0; i < acl.Count; i++) hash.Add(acl[i]);
        return hash.ToHashCode();
    }
}
