// The validation rules of ServerSettings: ranges of single values and the rules that tie several together.
using System.Globalization;
using System.Net;

namespace Coordinator.Server.Configuration;

/// <summary>
/// Checks a settings table once at start. Each problem is one line naming the zoo.cfg key, the value and
/// what is allowed, so the Host can print it unchanged (prefixed with where the value came from).
/// Rules live here rather than in the parser so settings built in code (tests, embedded hosts) get the same checks.
/// </summary>
internal static class ServerSettingsRules
{
    public static IReadOnlyList<string> Check(ServerSettings s)
    {
        var problems = new List<string>();
        CheckValues(s, problems);
        CheckPeers(s, problems);
        return problems;
    }

    private static void CheckValues(ServerSettings s, List<string> problems)
    {
        Positive(problems, "tickTime", s.TickTimeMs, "a positive integer (milliseconds)");
        if (s.TickTimeMs > 0)
        {
            // Session timeouts default to multiples of tickTime; with a bad tickTime they would only echo it.
            CheckSessionTimeouts(s, problems);
        }

        Port(problems, "clientPort", s.ClientPort, "0 (any free port) to 65535");
        Port(problems, "metricsProvider.httpPort", s.MetricsHttpPort, "0 (any free port) to 65535");
        Port(problems, "admin.serverPort", s.AdminServerPort, "0 (any free port) to 65535");
        if (s.GrpcPort is int grpcPort) Port(problems, "grpc.port", grpcPort, "0 (any free port) to 65535, or empty for no gRPC");
        Host(problems, "grpc.address", s.GrpcAddress);
        AtLeast(problems, "grpc.watchWindow", s.GrpcWatchWindow, 0, "an integer >= 0 (changes kept)");
        Positive(problems, "grpc.watchBuffer", s.GrpcWatchBuffer, "a positive integer (changes buffered per watch stream)");
        Positive(problems, "grpc.maxStreamsPerConnection", s.GrpcMaxStreamsPerConnection, "a positive integer (streams)");
        Host(problems, "clientPortAddress", s.ClientPortAddress);
        Host(problems, "metricsProvider.httpHost", s.MetricsHttpHost);
        Host(problems, "admin.serverAddress", s.AdminServerAddress);
        if (s.ClientPortListenBacklog is 0 or < -1)
        {
            problems.Add(Inv($"clientPortListenBacklog={s.ClientPortListenBacklog} is not valid: expected a positive integer, or -1 for the OS default"));
        }

        if (string.IsNullOrWhiteSpace(s.DataDir))
        {
            problems.Add("dataDir= is not valid: expected a directory path");
        }
        if (string.IsNullOrWhiteSpace(s.DataLogDir))
        {
            problems.Add("dataLogDir= is not valid: expected a directory path");
        }

        AtLeast(problems, "maxClientCnxns", s.MaxClientCnxns, 0, "an integer >= 0 (0 = unlimited)");
        Positive(problems, "jute.maxbuffer", s.JuteMaxBufferBytes, "a positive integer (bytes), decimal or 0x hex");
        Positive(problems, "globalOutstandingLimit", s.GlobalOutstandingLimit, "a positive integer (requests)");
        Positive(problems, "initLimit", s.InitLimit, "a positive integer (ticks)");
        Positive(problems, "syncLimit", s.SyncLimit, "a positive integer (ticks)");
        AtLeast(problems, "snapCount", s.SnapCount, 2, "an integer >= 2 (transactions)");
        AtLeast(problems, "autopurge.snapRetainCount", s.AutopurgeSnapRetainCount, 3, "an integer >= 3 (snapshots)");
        AtLeast(problems, "autopurge.purgeInterval", s.AutopurgePurgeIntervalHours, 0, "an integer >= 0 (hours, 0 = off)");

        if (s.OtlpEndpoint is { } otlp && !(Uri.TryCreate(otlp, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            problems.Add($"otel.exporter.otlp.endpoint={otlp} is not valid: expected an http:// or https:// URL, e.g. http://collector:4317");
        }
        if (s.OtlpProtocol is not (ServerSettings.OtlpProtocolGrpc or ServerSettings.OtlpProtocolHttpProtobuf))
        {
            problems.Add($"otel.exporter.otlp.protocol={s.OtlpProtocol} is not valid: expected {ServerSettings.OtlpProtocolGrpc} or {ServerSettings.OtlpProtocolHttpProtobuf}");
        }

        if (s.SuperDigest is { } digest && !IsSuperDigest(digest))
        {
            problems.Add($"DigestAuthenticationProvider.superDigest={digest} is not valid: expected user:<base64 sha1 digest>, e.g. super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
        }

        long idMax = s.ExtendedTypesEnabled ? ServerSettings.ServerIdMaxWithExtendedTypes : ServerSettings.ServerIdMax;
        if (s.ServerId < 0 || s.ServerId > idMax)
        {
            problems.Add(Inv($"myid={s.ServerId} is not valid: expected an integer from 1 to {idMax}{IdMaxReason(s)}"));
        }
    }

    private static void CheckSessionTimeouts(ServerSettings s, List<string> problems)
    {
        Positive(problems, "minSessionTimeout", s.MinSessionTimeoutMs, "a positive integer (milliseconds), or -1 for 2 x tickTime");
        Positive(problems, "maxSessionTimeout", s.MaxSessionTimeoutMs, "a positive integer (milliseconds), or -1 for 20 x tickTime");
        if (s.MinSessionTimeoutMs > 0 && s.MaxSessionTimeoutMs > 0 && s.MinSessionTimeoutMs > s.MaxSessionTimeoutMs)
        {
            problems.Add(Inv($"minSessionTimeout={s.MinSessionTimeoutMs} is not valid: it must not exceed maxSessionTimeout={s.MaxSessionTimeoutMs}"));
        }
    }

    private static void CheckPeers(ServerSettings s, List<string> problems)
    {
        long idMax = s.ExtendedTypesEnabled ? ServerSettings.ServerIdMaxWithExtendedTypes : ServerSettings.ServerIdMax;
        var endpoints = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (var group in s.Peers.GroupBy(p => p.Id).Where(g => g.Count() > 1))
        {
            problems.Add(Inv($"server.{group.Key} is not valid: the id is listed more than once"));
        }
        foreach (var peer in s.Peers)
        {
            string line = peer.ToConfigLine();
            if (peer.Id < 1 || peer.Id > idMax)
            {
                problems.Add($"{line} is not valid: the server id must be an integer from 1 to {idMax}{IdMaxReason(s)}");
            }
            if (!IsHost(peer.Host) || (peer.ClientHost is { } clientHost && !IsHost(clientHost)))
            {
                problems.Add($"{line} is not valid: expected an IP address or host name before each port");
            }
            PeerPort(problems, line, "quorum port", peer.QuorumPort);
            PeerPort(problems, line, "election port", peer.ElectionPort);
            if (peer.ClientPort is int clientPort)
            {
                PeerPort(problems, line, "client port", clientPort);
            }
            // Two peers (or one peer's two ports) on the same endpoint cannot both listen: catch it before bind fails.
            foreach (int port in new[] { peer.QuorumPort, peer.ElectionPort })
            {
                string endpoint = Inv($"{peer.Host}:{port}");
                if (!endpoints.TryAdd(endpoint, peer.Id))
                {
                    problems.Add(Inv($"{line} is not valid: {endpoint} is already used by server.{endpoints[endpoint]}; quorum and election ports must be distinct"));
                }
            }
        }

        CheckMembership(s, problems);
    }

    private static void CheckMembership(ServerSettings s, List<string> problems)
    {
        int participants = s.ParticipantCount;
        int observers = s.Peers.Count - participants;
        if (participants == 0 && observers > 0)
        {
            problems.Add("server.N is not valid: observers are listed but no participant; at least one server must be a participant");
            return;
        }
        if (participants == 0 && !s.StandaloneEnabled)
        {
            problems.Add("standaloneEnabled=false is not valid without server.N lines: list at least one participant");
            return;
        }
        if (participants == 1 && observers > 0 && s.StandaloneEnabled)
        {
            problems.Add("server.N is not valid: observers need an ensemble, but one participant with standaloneEnabled=true runs standalone; add participants or set standaloneEnabled=false");
            return;
        }
        if (!s.IsStandalone && s.Self is null)
        {
            problems.Add(Inv($"myid={s.ServerId} is not valid: no server.{s.ServerId} line lists this server; write this server's id to dataDir/myid"));
        }
    }

    private static void Positive(List<string> problems, string key, int value, string expected) =>
        AtLeast(problems, key, value, 1, expected);

    private static void AtLeast(List<string> problems, string key, int value, int min, string expected)
    {
        if (value < min)
        {
            problems.Add(Inv($"{key}={value} is not valid: expected {expected}"));
        }
    }

    private static void Port(List<string> problems, string key, int value, string expected)
    {
        if (value is < 0 or > 65535)
        {
            problems.Add(Inv($"{key}={value} is not valid: expected a port from {expected}"));
        }
    }

    private static void PeerPort(List<string> problems, string line, string what, int value)
    {
        if (value is < 1 or > 65535)
        {
            problems.Add(Inv($"{line} is not valid: the {what} must be from 1 to 65535"));
        }
    }

    private static void Host(List<string> problems, string key, string value)
    {
        if (!IsHost(value))
        {
            problems.Add($"{key}={value} is not valid: expected an IP address or host name");
        }
    }

    /// <summary>
    /// An IP literal (IPv6 with or without brackets) or a host name. Names may contain '_' although DNS
    /// forbids it, because container runtimes hand out names like "app_zk_1" and resolvers accept them.
    /// </summary>
    public static bool IsHost(string value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 253)
        {
            return false;
        }
        string bare = value.StartsWith('[') && value.EndsWith(']') ? value[1..^1] : value;
        return IPAddress.TryParse(bare, out _)
            || (bare.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_') && !bare.StartsWith('.') && !bare.Contains("..", StringComparison.Ordinal));
    }

    private static bool IsSuperDigest(string digest)
    {
        int colon = digest.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == digest.Length - 1)
        {
            return false;
        }
        // A SHA-1 digest is 20 bytes, which base64 spells in 28 characters.
        Span<byte> bytes = stackalloc byte[32];
        return Convert.TryFromBase64String(digest[(colon + 1)..], bytes, out int written) && written == 20;
    }

    private static string IdMaxReason(ServerSettings s) => s.ExtendedTypesEnabled
        ? " (255 is reserved while extendedTypesEnabled=true, because it marks TTL nodes)"
        : "";

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
