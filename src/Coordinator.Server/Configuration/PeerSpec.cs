// One ensemble member as listed by a zoo.cfg `server.N=` line, and its text form in `conf` output.
using System.Globalization;

namespace Coordinator.Server.Configuration;

/// <summary>
/// A member of the ensemble. <see cref="ClientHost"/> and <see cref="ClientPort"/> come from the optional
/// <c>;[clientHost:]clientPort</c> suffix; a bare port means every interface, so the host is then "0.0.0.0".
/// </summary>
public sealed record PeerSpec(
    long Id,
    string Host,
    int QuorumPort,
    int ElectionPort,
    bool IsObserver,
    string? ClientHost,
    int? ClientPort)
{
    /// <summary>The learner type as zoo.cfg spells it.</summary>
    public string PeerTypeName => IsObserver ? "observer" : "participant";

    /// <summary>
    /// The value part of the `server.N=` line, in the form ZooKeeper 3.8 prints under `membership:`
    /// (the peer type always spelled out, the client address only when one was given).
    /// </summary>
    public string ToConfigValue()
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{FormatHost(Host)}:{QuorumPort}:{ElectionPort}:{PeerTypeName}");
        if (ClientPort is int port)
        {
            text += string.Create(CultureInfo.InvariantCulture, $";{FormatHost(ClientHost ?? "0.0.0.0")}:{port}");
        }
        return text;
    }

    /// <summary>The whole line, e.g. <c>server.2=10.0.0.2:2888:3888:participant;0.0.0.0:2181</c>.</summary>
    public string ToConfigLine() => string.Create(CultureInfo.InvariantCulture, $"server.{Id}={ToConfigValue()}");

    // IPv6 literals need brackets so the host:port:port form can be split again.
    private static string FormatHost(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
}
