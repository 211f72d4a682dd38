// Session passwords derived from the session id, so any server of ours can check one without storing it, as ZooKeeper does.
using System.Buffers.Binary;
using System.Security.Cryptography;
using Coordinator.Core;

namespace Coordinator.Server.Sessions;

public static class SessionPasswords
{
    private static readonly byte[] Key = "coordinator-session-password-v1"u8.ToArray();

    public static byte[] For(long sessionId)
    {
        Span<byte> id = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(id, sessionId);
        return HMACSHA256.HashData(Key, id)[..Limits.SessionPasswordBytes];
    }

    public static bool Matches(long sessionId, byte[] password) =>
        CryptographicOperations.FixedTimeEquals(For(sessionId), password);
}
