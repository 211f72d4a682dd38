// ACL helpers: ZooKeeper's stock lists (ZooDefs.Ids) and digest identities computed the way the server checks them.
using System.Security.Cryptography;
using System.Text;
using Coordinator.Core;
using Coordinator.Jute.Records;

namespace Coordinator.Client;

public static class Acls
{
    /// <summary>world:anyone may do anything (ZooDefs.Ids.OPEN_ACL_UNSAFE).</summary>
    public static IReadOnlyList<Acl> OpenUnsafe { get; } = [new((int)Perms.All, new Id("world", "anyone"))];

    /// <summary>world:anyone may read (ZooDefs.Ids.READ_ACL_UNSAFE).</summary>
    public static IReadOnlyList<Acl> ReadUnsafe { get; } = [new((int)Perms.Read, new Id("world", "anyone"))];

    /// <summary>Every identity the creating session authenticated with gets all rights (ZooDefs.Ids.CREATOR_ALL_ACL).</summary>
    public static IReadOnlyList<Acl> CreatorAll { get; } = [new((int)Perms.All, new Id("auth", ""))];

    /// <summary>A digest identity: "user:base64(sha1(user:password))", what digest auth makes of "user:password".</summary>
    public static Id DigestId(string user, string password)
    {
        byte[] hash = SHA1.HashData(Encoding.UTF8.GetBytes(user + ":" + password));
        return new Id("digest", user + ":" + Convert.ToBase64String(hash));
    }

    public static Acl Digest(string user, string password, Perms perms) => new((int)perms, DigestId(user, password));
}
