// The fixed-size greeting that opens every link between ensemble members: who is talking, to whom, in which protocol.
using System.Buffers.Binary;

namespace Coordinator.Host.Network;

/// <summary>
/// Magic, protocol version, sender id and intended receiver id, all big-endian. The receiver id lets a member
/// refuse a link meant for someone else (a stale or mistyped address in a zoo.cfg), rather than misroute frames.
/// </summary>
internal readonly record struct PeerHandshake(int Magic, int Version, long SenderId, long ReceiverId)
{
    /// <summary>"CoPN": Coordinator peer network.</summary>
    public const int ExpectedMagic = 0x436F504E;

    public const int CurrentVersion = 1;

    public const int Bytes = 4 + 4 + 8 + 8;

    public static byte[] Encode(long senderId, long receiverId)
    {
        var bytes = new byte[Bytes];
        BinaryPrimitives.WriteInt32BigEndian(bytes, ExpectedMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), CurrentVersion);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8), senderId);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(16), receiverId);
        return bytes;
    }

    public static PeerHandshake Decode(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadInt32BigEndian(bytes),
        BinaryPrimitives.ReadInt32BigEndian(bytes[4..]),
        BinaryPrimitives.ReadInt64BigEndian(bytes[8..]),
        BinaryPrimitives.ReadInt64BigEndian(bytes[16..]));
}
