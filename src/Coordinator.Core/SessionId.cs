// Session id helpers: ZooKeeper puts the server id in the high byte of every session id it hands out.
namespace Coordinator.Core;

public static class SessionIds
{
    /// <summary>ZooKeeper's SessionTrackerImpl.initializeNextSession: (time &lt;&lt; 24 &gt;&gt;&gt; 8) | (sid &lt;&lt; 56).</summary>
    public static long Initial(long serverId, long unixMs)
    {
        long next = (long)(((ulong)(unixMs << 24)) >> 8);
        return next | (serverId << 56);
    }

    public static string Hex(long sessionId) => "0x" + sessionId.ToString("x");
}
