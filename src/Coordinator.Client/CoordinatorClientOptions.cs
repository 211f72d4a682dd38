// The client's settings, bindable from configuration through the generic host's options system.
using Microsoft.Extensions.Logging;

namespace Coordinator.Client;

public sealed class CoordinatorClientOptions
{
    /// <summary>"host:port,host:port/optional/chroot".</summary>
    public string ConnectionString { get; set; } = "127.0.0.1:2181";

    /// <summary>Requested session timeout; the server clamps it to its min/max (2 and 20 ticks by default).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Accept a read-only server (one cut off from its quorum) instead of waiting for a read-write one.</summary>
    public bool CanBeReadOnly { get; set; }

    /// <summary>
    /// After the server reports the session expired, open a new session instead of closing the client. Recipes use
    /// this to recover (re-register, rejoin elections); one-shot watches are dropped, persistent ones kept. With false,
    /// the client is dead after expiry, as ZooKeeper's own client is.
    /// </summary>
    public bool RenewSessionOnExpiry { get; set; } = true;

    /// <summary>
    /// Requests that cannot be sent because no server is reachable fail with <see cref="ConnectionLossException"/>
    /// once the client has been disconnected this long. Null means the negotiated session timeout.
    /// </summary>
    public TimeSpan? DisconnectedRequestTimeout { get; set; }

    /// <summary>
    /// The largest packet sent or accepted, as the server's jute.maxbuffer (default 0xfffff). A larger request is
    /// refused before it is sent; a larger reply drops the connection.
    /// </summary>
    public int PacketBytesMax { get; set; } = Core.Limits.PacketBytesMaxDefault;

    /// <summary>"user:password" to add as digest auth on every connection, or null.</summary>
    public string? DigestAuth { get; set; }

    /// <summary>Resume an existing session (with <see cref="SessionPassword"/>) instead of creating one; 0 creates.</summary>
    public long SessionId { get; set; }

    public byte[]? SessionPassword { get; set; }

    /// <summary>Where the client logs; null logs nowhere. The host integration fills it from DI.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    internal CoordinatorClientOptions Clone() => (CoordinatorClientOptions)MemberwiseClone();
}
