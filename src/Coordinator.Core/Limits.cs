// Named bounds that are not configurable, each with its unit last (DESIGN.md habit 8).
namespace Coordinator.Core;

public static class Limits
{
    /// <summary>ZooKeeper's default jute.maxbuffer: the largest packet or znode payload accepted.</summary>
    public const int PacketBytesMaxDefault = 0xfffff;

    /// <summary>
    /// Extra room a client allows over jute.maxbuffer when reading a reply (the reply header and Stat come on top
    /// of a payload that may itself be jute.maxbuffer long). The server allows no slack on incoming frames.
    /// </summary>
    public const int PacketSlackBytes = 1024;

    /// <summary>Sequential suffixes are ten digits, as in ZooKeeper.</summary>
    public const int SequenceDigits = 10;

    /// <summary>TTL nodes: ZooKeeper keeps the TTL in 40 bits of the ephemeralOwner field.</summary>
    public const long TtlMsMax = 0xFFFFFFFFFFL;

    /// <summary>The TTL marker in the high byte of ephemeralOwner (EphemeralType.TTL).</summary>
    public const long TtlOwnerMarker = unchecked((long)0xFF00000000000000UL);

    /// <summary>ephemeralOwner value that marks a container node (EphemeralType.CONTAINER).</summary>
    public const long ContainerOwner = unchecked((long)0x8000000000000000UL);

    /// <summary>Session password length used by ZooKeeper.</summary>
    public const int SessionPasswordBytes = 16;
}
