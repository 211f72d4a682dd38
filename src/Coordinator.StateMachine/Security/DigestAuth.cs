// The digest scheme: "user:password" becomes the id "user:base64(sha1(user:password))", as ZooKeeper computes it.
using System.Security.Cryptography;
using System.Text;

namespace Coordinator.StateMachine.Security;

public static class DigestAuth
{
    public const string Scheme = "digest";

    public static string Generate(string userColonPassword)
    {
        int colon = userColonPassword.IndexOf(':');
        string user = colon < 0 ? userColonPassword : userColonPassword[..colon];
        byte[] hash = SHA1.HashData(Encoding.UTF8.GetBytes(userColonPassword));
        return user + ":" + Convert.ToBase64String(hash);
    }

    /// <summary>
    /// A digest ACL id must be "user:hash". ZooKeeper 3.8 checks <c>id.split(":").length == 2</c>, and Java's split
    /// drops trailing empty parts: "alice:" and "a:b:c" are invalid (InvalidACL on a real server), ":h" and "a:h:" are valid.
    /// </summary>
    public static bool IsValidId(string id) => id.TrimEnd(':').Split(':').Length == 2;
}
