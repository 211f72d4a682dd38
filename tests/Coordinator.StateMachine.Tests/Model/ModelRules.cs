// The reference model's plain rules: path validity, ACL fix-up and permission checks, and what an ephemeralOwner value means.
using Coordinator.Core;
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine.Tests.Model;

public enum OwnerKind { None, Session, Container, Ttl }

public static class ModelRules
{
    public const long ContainerOwner = long.MinValue;
    public const long TtlMax = (1L << 40) - 1;

    public static long TtlOwner(long ttl) => unchecked((long)0xFF00_0000_0000_0000UL) | ttl;

    public static OwnerKind KindOf(long owner) =>
        owner == 0 ? OwnerKind.None
        : owner == ContainerOwner ? OwnerKind.Container
        : (owner >> 56) == -1 ? OwnerKind.Ttl
        : OwnerKind.Session;

    /// <summary>A znode path: "/" or "/"-separated names, none empty, ".", ".." or holding a forbidden character.</summary>
    public static bool IsValidPath(string path)
    {
        if (path == "/") return true;
        if (!path.StartsWith('/') || path.EndsWith('/')) return false;
        foreach (string name in path[1..].Split('/'))
        {
            if (name is "" or "." or "..") return false;
            if (name.Any(IsForbidden)) return false;
        }
        return true;
    }

    private static bool IsForbidden(char c) =>
        c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0;

    /// <summary>The parent as ZooKeeper computes it before validating: everything before the last slash ("/" for "/x").</summary>
    public static string ParentOf(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    public static string NameOf(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static bool IsSystemPath(string path) => path is "/" or "/zookeeper" or "/zookeeper/quota" or "/zookeeper/config";

    /// <summary>
    /// ZooKeeper's fixupACL, restricted to the schemes the tests use: duplicates go, world:anyone stays, "auth" becomes the
    /// session's digest ids, a digest id must split on ':' into exactly two parts (Java's String.split drops trailing
    /// empty parts). Anything else, or an empty list, is invalid (null).
    /// </summary>
    public static List<Acl>? FixAcl(IReadOnlyList<Acl> requested, IReadOnlyList<Id> auth)
    {
        if (requested.Count == 0) return null;
        var result = new List<Acl>();
        foreach (var entry in requested.Distinct())
        {
            var id = entry.Id;
            if (id.Scheme == "world" && id.Ident == "anyone")
            {
                result.Add(entry);
            }
            else if (id.Scheme == "auth")
            {
                var users = auth.Where(a => a.Scheme == "digest").ToList();
                if (users.Count == 0) return null;
                result.AddRange(users.Select(u => new Acl(entry.Perms, u)));
            }
            else if (id.Scheme == "digest" && JavaSplitOnColon(id.Ident) == 2)
            {
                result.Add(entry);
            }
            else
            {
                return null;
            }
        }
        return result;
    }

    private static int JavaSplitOnColon(string s) => s.TrimEnd(':').Split(':').Length;

    public static bool Allows(IReadOnlyList<Acl> acl, Perms perm, IReadOnlyList<Id> auth)
    {
        if (acl.Count == 0) return true;
        foreach (var entry in acl)
        {
            if ((entry.Perms & (int)perm) == 0) continue;
            if (entry.Id is { Scheme: "world", Ident: "anyone" }) return true;
            if (auth.Contains(entry.Id)) return true;
        }
        return false;
    }
}
