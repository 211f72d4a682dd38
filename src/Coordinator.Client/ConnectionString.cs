// Parses ZooKeeper connection strings: "host:port,host:port/optional/chroot", IPv6 literals in brackets.
using System.Globalization;
using Coordinator.Core;

namespace Coordinator.Client;

public readonly record struct ServerAddress(string Host, int Port)
{
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

public sealed record ConnectionString(IReadOnlyList<ServerAddress> Servers, string? Chroot)
{
    public const int DefaultPort = 2181;

    /// <summary>Parses the string; throws <see cref="ArgumentException"/> naming the part that is wrong.</summary>
    public static ConnectionString Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        string? chroot = null;
        int slash = text.IndexOf('/');
        string hostList = text;
        if (slash >= 0)
        {
            chroot = text[slash..];
            hostList = text[..slash];
            // "host:2181/" means no chroot, as in ZooKeeper.
            if (chroot == "/") chroot = null;
            else if (PathValidation.Validate(chroot) is { } why)
                throw new ArgumentException($"chroot '{chroot}' is not a valid path: {why}", nameof(text));
        }

        var servers = new List<ServerAddress>();
        foreach (string part in hostList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            servers.Add(ParseServer(part));
        if (servers.Count == 0) throw new ArgumentException($"connection string '{text}' names no server", nameof(text));
        return new ConnectionString(servers, chroot);
    }

    private static ServerAddress ParseServer(string part)
    {
        string host = part;
        string? port = null;
        if (part.StartsWith('['))
        {
            int close = part.IndexOf(']');
            if (close < 0) throw new ArgumentException($"'{part}': unclosed '[' in an IPv6 address");
            host = part[1..close];
            if (close + 1 < part.Length)
            {
                if (part[close + 1] != ':') throw new ArgumentException($"'{part}': expected ':' after ']'");
                port = part[(close + 2)..];
            }
        }
        else
        {
            int colon = part.LastIndexOf(':');
            if (colon >= 0 && part.IndexOf(':') == colon)
            {
                host = part[..colon];
                port = part[(colon + 1)..];
            }
        }
        if (host.Length == 0) throw new ArgumentException($"'{part}': empty host name");
        int portNumber = DefaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) || portNumber is < 1 or > 65535))
            throw new ArgumentException($"'{part}': port '{port}' is not a number from 1 to 65535");
        return new ServerAddress(host, portNumber);
    }

    public override string ToString() => string.Join(',', Servers) + (Chroot ?? "");
}
