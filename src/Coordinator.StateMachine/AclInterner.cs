// Shares one list instance among znodes with equal ACLs, as ZooKeeper's ACL cache does, so a million nodes hold a handful of lists.
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine;

internal sealed class AclInterner
{
    private readonly Dictionary<string, IReadOnlyList<Acl>> _lists = new(StringComparer.Ordinal);

    public IReadOnlyList<Acl> Intern(IReadOnlyList<Acl> acl)
    {
        string key = string.Join('\n', acl.Select(a => $"{a.Perms}|{a.Id.Scheme}|{a.Id.Ident}"));
        if (_lists.TryGetValue(key, out var existing)) return existing;
        var copy = acl.ToArray();
        _lists[key] = copy;
        return copy;
    }
}
