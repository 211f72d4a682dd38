// Decodes ZooKeeper's overloaded ephemeralOwner field: a session id, the container marker, or a TTL.
using Coordinator.Core;

namespace Coordinator.StateMachine;

public enum EphemeralKind
{
    Void,
    Normal,
    Container,
    Ttl,
}

public static class EphemeralKinds
{
    public static EphemeralKind Of(long owner)
    {
        if (owner == 0) return EphemeralKind.Void;
        if (owner == Limits.ContainerOwner) return EphemeralKind.Container;
        if ((owner & Limits.TtlOwnerMarker) == Limits.TtlOwnerMarker) return EphemeralKind.Ttl;
        return EphemeralKind.Normal;
    }

    public static long TtlOwner(long ttlMs) => Limits.TtlOwnerMarker | ttlMs;

    public static long TtlOf(long owner) => owner & Limits.TtlMsMax;
}
