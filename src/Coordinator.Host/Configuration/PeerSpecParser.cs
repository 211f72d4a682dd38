// Parses the value of a zoo.cfg `server.N=` line into a PeerSpec, reporting what is wrong in words.
using System.Globalization;
using Coordinator.Server.Configuration;

namespace Coordinator.Host.Configuration;

internal static class PeerSpecParser
{
    public const string Form = "host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort]";

    /// <summary>Parses "host:q:e[:type][;[clientHost:]clientPort]"; on failure says why in a short phrase.</summary>
    public static bool TryParse(long id, string value, out PeerSpec? spec, out string reason)
    {
        spec = null;
        reason = "";
        if (value.Contains('|', StringComparison.Ordinal))
        {
            reason = "several addresses for one server (a|b) are not supported";
            return false;
        }
        string[] halves = value.Split(';');
        if (halves.Length > 2)
        {
            reason = "only one ';' may separate the server and client addresses";
            return false;
        }
        if (!TrySplitHost(halves[0].Trim(), out string host, out string ports))
        {
            reason = "the host is missing or has an unclosed '['";
            return false;
        }
        string[] pieces = ports.Split(':');
        if (pieces.Length is < 2 or > 3)
        {
            reason = "expected a host, a quorum port and an election port";
            return false;
        }
        if (!TryPort(pieces[0], out int quorumPort, ref reason) || !TryPort(pieces[1], out int electionPort, ref reason))
        {
            return false;
        }
        bool isObserver = false;
        if (pieces.Length == 3 && !TryPeerType(pieces[2].Trim(), out isObserver, ref reason))
        {
            return false;
        }

        string? clientHost = null;
        int? clientPort = null;
        if (halves.Length == 2)
        {
            if (!TryParseClient(halves[1].Trim(), out clientHost, out int port, ref reason))
            {
                return false;
            }
            clientPort = port;
        }
        spec = new PeerSpec(id, host, quorumPort, electionPort, isObserver, clientHost, clientPort);
        return true;
    }

    /// <summary>"participant" or "observer", in any case, as ZooKeeper compares them.</summary>
    public static bool TryPeerType(string text, out bool isObserver, ref string reason)
    {
        isObserver = text.Equals("observer", StringComparison.OrdinalIgnoreCase);
        if (isObserver || text.Equals("participant", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        reason = $"'{text}' is not a peer type (participant or observer)";
        return false;
    }

    // The client half is "port" (every interface) or "host:port"; IPv6 hosts may be bracketed.
    private static bool TryParseClient(string text, out string? host, out int port, ref string reason)
    {
        host = "0.0.0.0";
        port = 0;
        int colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            return TryPort(text, out port, ref reason);
        }
        string hostPart = text[..colon].Trim();
        host = hostPart.StartsWith('[') && hostPart.EndsWith(']') ? hostPart[1..^1] : hostPart;
        if (host.Length == 0)
        {
            reason = "the client host before ':' is empty";
            return false;
        }
        return TryPort(text[(colon + 1)..], out port, ref reason);
    }

    private static bool TrySplitHost(string text, out string host, out string rest)
    {
        host = rest = "";
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                return false;
            }
            host = text[1..close];
            rest = text[(close + 2)..];
        }
        else
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return false;
            }
            host = text[..colon].Trim();
            rest = text[(colon + 1)..];
        }
        return host.Length > 0;
    }

    private static bool TryPort(string text, out int port, ref string reason)
    {
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            return true;
        }
        reason = $"'{text.Trim()}' is not a port number";
        return false;
    }
}
