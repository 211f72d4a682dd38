// Permission checks and ACL fix-up, with ZooKeeper's rules for the world, auth, digest, ip and super schemes.
using Coordinator.Core;
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine.Security;

public static class AclCheck
{
    public const string SuperScheme = "super";

    /// <summary>True when one of the ACL entries that grants <paramref name="perm"/> matches one of the session's ids.</summary>
    public static bool IsAllowed(IReadOnlyList<Acl> acl, Perms perm, IReadOnlyList<Id> auth)
    {
        // Indexed loops: foreach over an interface boxes an enumerator, and this runs for every read and write.
        if (acl.Count == 0) return true;
        for (int i = 0; i < auth.Count; i++)
            if (auth[i].Scheme == SuperScheme) return true;
        for (int e = 0; e < acl.Count; e++)
        {
            var entry = acl[e];
            if ((entry.Perms & (int)perm) == 0) continue;
            if (entry.Id.Scheme == "world" && entry.Id.Ident == "anyone") return true;
            for (int i = 0; i < auth.Count; i++)
            {
                var id = auth[i];
                if (id.Scheme == entry.Id.Scheme && Matches(id.Scheme, id.Ident, entry.Id.Ident)) return true;
            }
        }
        return false;
    }

    private static bool Matches(string scheme, string authId, string aclId) => scheme switch
    {
        IpAuth.Scheme => IpAuth.Matches(authId, aclId),
        DigestAuth.Scheme => authId == aclId,
        _ => false,
    };

    /// <summary>
    /// Validates a requested ACL and expands the "auth" scheme into the session's authenticated ids.
    /// Returns null (InvalidACL) for an empty list, an unknown scheme, a malformed id or "auth" with no authenticated id.
    /// </summary>
    public static List<Acl>? Fixup(IReadOnlyList<Acl>? acl, IReadOnlyList<Id> auth)
    {
        if (acl is null || acl.Count == 0) return null;
        var result = new List<Acl>(acl.Count);
        foreach (var entry in acl.Distinct())
        {
            var id = entry.Id;
            if (id.Scheme is null || id.Ident is null) return null;
            if (id.Scheme == "world" && id.Ident == "anyone")
            {
                result.Add(entry);
            }
            else if (id.Scheme == "auth")
            {
                bool any = false;
                foreach (var authId in auth)
                {
                    // Only schemes that prove a user (digest, super) can stand in for "auth"; an ip is not one.
                    if (authId.Scheme is DigestAuth.Scheme or SuperScheme)
                    {
                        any = true;
                        result.Add(new Acl(entry.Perms, authId));
                    }
                }
                if (!any) return null;
            }
            else if (id.Scheme == DigestAuth.Scheme ? DigestAuth.IsValidId(id.Ident)
                     : id.Scheme == IpAuth.Scheme && IpAuth.IsValidId(id.Ident))
            {
                result.Add(entry);
            }
            else
            {
                return null;
            }
        }
        return result.Distinct().ToList();
    }
}
