// Applies zoo.cfg keys one at a time to a ServerSettings, then finishes it: myid, client address, validation.
using System.Globalization;
using Coordinator.Server.Configuration;

namespace Coordinator.Host.Configuration;

/// <summary>
/// The settings being built from a sequence of key/value pairs (the file's, then the overrides'), plus
/// what the final checks need to know: which keys were given explicitly and where each came from, so an
/// error names "zoo.cfg" or "override" correctly.
/// </summary>
internal sealed class ZooCfgFold(ServerSettings start, string baseDirectory, string defaultSource)
{
    private delegate ServerSettings Setter(ZooCfgFold fold, string key, string value);

    private const string Millis = "a positive integer (milliseconds)";
    private const string Port = "a port from 0 (any free port) to 65535";

    // One entry per key we act on; each parses the text and sets one field. Ranges and cross-field rules
    // are checked afterwards by ServerSettings.Validate, so settings built in code get the same checks.
    private static readonly Dictionary<string, Setter> Setters = new(StringComparer.Ordinal)
    {
        ["tickTime"] = (f, k, v) => f.Settings with { TickTimeMs = f.Int(k, v, Millis) },
        ["dataDir"] = (f, k, v) => f.Settings with { DataDir = f.Path(k, v) },
        ["dataLogDir"] = (f, k, v) => f.Settings with { DataLogDir = f.Path(k, v) },
        ["clientPort"] = (f, k, v) => f.Settings with { ClientPort = f.Int(k, v, Port) },
        ["clientPortAddress"] = (f, k, v) => f.Settings with { ClientPortAddress = v },
        ["clientPortListenBacklog"] = (f, k, v) => f.Settings with { ClientPortListenBacklog = f.Int(k, v, "a positive integer, or -1 for the OS default") },
        ["maxClientCnxns"] = (f, k, v) => f.Settings with { MaxClientCnxns = f.Int(k, v, "an integer >= 0 (0 = unlimited)") },
        ["minSessionTimeout"] = (f, k, v) => f.Settings with { MinSessionTimeoutMs = f.Int(k, v, Millis + ", or -1 for 2 x tickTime") },
        ["maxSessionTimeout"] = (f, k, v) => f.Settings with { MaxSessionTimeoutMs = f.Int(k, v, Millis + ", or -1 for 20 x tickTime") },
        ["jute.maxbuffer"] = (f, k, v) => f.Settings with { JuteMaxBufferBytes = f.IntOrHex(k, v, "a positive integer (bytes), decimal or 0x hex") },
        ["4lw.commands.whitelist"] = (f, k, v) => f.Settings with { FourLetterWordWhitelist = f.Whitelist(k, v) },
        ["globalOutstandingLimit"] = (f, k, v) => f.Settings with { GlobalOutstandingLimit = f.Int(k, v, "a positive integer (requests)") },
        ["initLimit"] = (f, k, v) => f.Settings with { InitLimit = f.Int(k, v, "a positive integer (ticks)") },
        ["syncLimit"] = (f, k, v) => f.Settings with { SyncLimit = f.Int(k, v, "a positive integer (ticks)") },
        ["DigestAuthenticationProvider.superDigest"] = (f, k, v) => f.Settings with { SuperDigest = v },
        ["extendedTypesEnabled"] = (f, k, v) => f.Settings with { ExtendedTypesEnabled = f.Bool(k, v) },
        ["enforceQuota"] = (f, k, v) => f.Settings with { EnforceQuota = f.Bool(k, v) },
        ["snapCount"] = (f, k, v) => f.Settings with { SnapCount = f.AtLeast(k, f.Int(k, v, "an integer >= 2 (transactions)"), 2) },
        ["forceSync"] = (f, k, v) => f.Settings with { ForceSync = f.Bool(k, v) },
        ["autopurge.snapRetainCount"] = (f, k, v) => f.Settings with { AutopurgeSnapRetainCount = f.AtLeast(k, f.Int(k, v, "an integer >= 3 (snapshots)"), 3) },
        ["autopurge.purgeInterval"] = (f, k, v) => f.Settings with { AutopurgePurgeIntervalHours = f.Int(k, v, "an integer >= 0 (hours, 0 = off)") },
        ["metricsProvider.httpPort"] = (f, k, v) => f.Settings with { MetricsHttpPort = f.Int(k, v, Port) },
        ["metricsProvider.httpHost"] = (f, k, v) => f.Settings with { MetricsHttpHost = v },
        ["admin.serverPort"] = (f, k, v) => f.Settings with { AdminServerPort = f.Int(k, v, Port) },
        ["admin.serverAddress"] = (f, k, v) => f.Settings with { AdminServerAddress = v },
        ["admin.enableServer"] = (f, k, v) => f.Settings with { AdminEnableServer = f.Bool(k, v) },
        // OpenTelemetry's OTEL_EXPORTER_OTLP_* variables as zoo.cfg keys; an empty endpoint turns OTLP export off.
        ["otel.exporter.otlp.endpoint"] = (f, k, v) => f.Settings with { OtlpEndpoint = v.Length == 0 ? null : v },
        ["otel.exporter.otlp.protocol"] = (f, k, v) => f.Settings with { OtlpProtocol = v },
        // The gRPC API (README "gRPC API"); an empty grpc.port turns it off.
        ["grpc.port"] = (f, k, v) => f.Settings with { GrpcPort = v.Length == 0 ? null : f.Int(k, v, Port + ", or empty for no gRPC") },
        ["grpc.address"] = (f, k, v) => f.Settings with { GrpcAddress = v },
        ["grpc.watchWindow"] = (f, k, v) => f.Settings with { GrpcWatchWindow = f.Int(k, v, "an integer >= 0 (changes kept)") },
        ["grpc.watchBuffer"] = (f, k, v) => f.Settings with { GrpcWatchBuffer = f.Int(k, v, "a positive integer (changes buffered per watch stream)") },
        ["grpc.maxStreamsPerConnection"] = (f, k, v) => f.Settings with { GrpcMaxStreamsPerConnection = f.Int(k, v, "a positive integer (streams)") },
        ["standaloneEnabled"] = (f, k, v) => f.Settings with { StandaloneEnabled = f.Bool(k, v) },
        ["peerType"] = (f, k, v) => f.PeerType(k, v),
    };

    private readonly List<string> _warnings = [];
    private readonly Dictionary<string, string> _raw = new(start.Raw, StringComparer.Ordinal);
    private readonly Dictionary<string, string> _sourceOf = new(StringComparer.Ordinal);
    private readonly string _defaultSource = defaultSource;
    private string _source = defaultSource;
    private long? _explicitMyId;
    private bool? _peerTypeIsObserver;

    public ServerSettings Settings { get; private set; } = start;

    public void Apply(string key, string value, string source)
    {
        _source = source;
        string canonical = ZooCfgKeys.Canonical(key);
        // Overrides replace file values on purpose; only a repeat within one source is worth a warning.
        if (_sourceOf.TryGetValue(canonical, out string? earlier) && earlier == source)
        {
            Warn($"{key} is set more than once; the last value ({value}) wins");
        }
        _sourceOf[canonical] = source;
        _raw[key] = value;

        if (Setters.TryGetValue(canonical, out var setter))
        {
            Settings = setter(this, key, value);
        }
        else if (key.StartsWith("server.", StringComparison.Ordinal))
        {
            Settings = Settings with { Peers = WithPeer(key, value) };
        }
        else if (key == ZooCfgParser.MyIdKey && source == ZooCfgParser.OverrideSource)
        {
            _explicitMyId = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long id)
                ? id
                : throw Fail($"{key}={value} is not valid: expected this server's id, an integer from 1 to {ServerSettings.ServerIdMax}");
        }
        else if (ZooCfgKeys.RefusalReason(key) is { } reason)
        {
            throw Fail($"{key}={value} is not valid: {reason}");
        }
        else if (Setters.Keys.FirstOrDefault(k => k.Equals(canonical, StringComparison.OrdinalIgnoreCase)) is { } suggestion)
        {
            // Checked before the quiet prefixes, so "admin.serverport" is caught although "admin.*" is accepted.
            Warn($"unknown key {key} is ignored (did you mean {suggestion}?)");
        }
        else if (!ZooCfgKeys.IsIgnored(key))
        {
            Warn($"unknown key {key} is ignored");
        }
    }

    public ServerSettings Finish(out IReadOnlyList<string> warnings)
    {
        var settings = Settings with { Raw = _raw };
        settings = _explicitMyId is long id ? settings with { ServerId = id } : ReadMyId(settings);
        settings = AdoptClientAddress(settings);
        WarnAboutMembership(settings);

        var problems = settings.Validate();
        if (problems.Count > 0)
        {
            string more = problems.Count > 1 ? $" (and {problems.Count - 1} more problem{(problems.Count > 2 ? "s" : "")})" : "";
            throw new ConfigException($"{SourceOf(problems[0])}: {problems[0]}{more}");
        }
        warnings = _warnings;
        return settings;
    }

    public static string ResolvePath(string value, string baseDirectory) =>
        System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(value, baseDirectory));

    // ZooKeeper reads dataDir/myid whenever it exists and insists on it for ensembles.
    private ServerSettings ReadMyId(ServerSettings settings)
    {
        string path = System.IO.Path.Combine(settings.DataDir, "myid");
        if (File.Exists(path))
        {
            string text = File.ReadAllText(path).Trim();
            if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long id))
            {
                throw new ConfigException($"{path}: '{text}' is not valid: expected this server's id, an integer from 1 to {ServerSettings.ServerIdMax}");
            }
            return settings with { ServerId = id };
        }
        if (!settings.IsStandalone && settings.ServerId == 0)
        {
            throw new ConfigException($"{SourceOf("dataDir")}: {path} is missing: server.N lines make this an ensemble, so dataDir/myid must hold this server's id");
        }
        return settings;
    }

    // A server.N line may carry this server's client address; clientPort and clientPortAddress must then agree.
    private ServerSettings AdoptClientAddress(ServerSettings settings)
    {
        if (settings.Self is not { ClientPort: int port } self)
        {
            return settings;
        }
        string host = self.ClientHost ?? "0.0.0.0";
        string line = self.ToConfigLine();
        if (_raw.ContainsKey("clientPort") && settings.ClientPort != port)
        {
            throw new ConfigException(string.Create(CultureInfo.InvariantCulture,
                $"{SourceOf("clientPort")}: clientPort={settings.ClientPort} is not valid: {line} gives this server client port {port}; make them agree or drop one"));
        }
        if (_raw.ContainsKey("clientPortAddress") && !string.Equals(settings.ClientPortAddress, host, StringComparison.OrdinalIgnoreCase))
        {
            throw new ConfigException(
                $"{SourceOf("clientPortAddress")}: clientPortAddress={settings.ClientPortAddress} is not valid: {line} gives this server client address {host}; make them agree or drop one");
        }
        return settings with { ClientPort = port, ClientPortAddress = host };
    }

    private void WarnAboutMembership(ServerSettings settings)
    {
        // Only when this pass set membership keys, so a pass of unrelated overrides does not repeat the file's warnings.
        if (!_sourceOf.Keys.Any(k => k.StartsWith("server.", StringComparison.Ordinal) || k is "standaloneEnabled" or "peerType"))
        {
            return;
        }
        if (settings.Peers.Count == 1 && settings.StandaloneEnabled && settings.ParticipantCount == 1)
        {
            _warnings.Add($"{SourceOf(settings.Peers[0].ToConfigLine())}: only one server.N is listed and standaloneEnabled=true, so this node runs standalone");
        }
        if (!settings.IsStandalone && _peerTypeIsObserver is bool wanted && settings.Self is { } self && self.IsObserver != wanted)
        {
            _warnings.Add($"{SourceOf("peerType")}: peerType={(wanted ? "observer" : "participant")} disagrees with {self.ToConfigLine()}; the server.N line wins");
        }
    }

    private IReadOnlyList<PeerSpec> WithPeer(string key, string value)
    {
        string idText = key["server.".Length..];
        if (!long.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
        {
            throw Fail($"{key}={value} is not valid: the part after 'server.' must be the numeric server id (1 to {ServerSettings.ServerIdMax})");
        }
        if (!PeerSpecParser.TryParse(id, value, out var spec, out string reason))
        {
            throw Fail($"{key}={value} is not valid: {reason}; expected {PeerSpecParser.Form}");
        }
        // A later line for the same id replaces the earlier one, as java.util.Properties would.
        var peers = Settings.Peers.Where(p => p.Id != id).ToList();
        peers.Add(spec!);
        return peers;
    }

    private ServerSettings PeerType(string key, string value)
    {
        string reason = "";
        if (!PeerSpecParser.TryPeerType(value, out bool isObserver, ref reason))
        {
            throw Fail($"{key}={value} is not valid: expected participant or observer");
        }
        _peerTypeIsObserver = isObserver;
        return Settings;
    }

    private int Int(string key, string value, string expected) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number)
            ? number
            : throw Fail($"{key}={value} is not valid: expected {expected}");

    // ZooKeeper reads jute.maxbuffer with Integer.decode, so sizes are often written in hex. (Java would
    // also read a leading 0 as octal; nobody means that for a size, so we read such values as decimal.)
    private int IntOrHex(string key, string value, string expected)
    {
        if (!value.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return Int(key, value, expected);
        }
        return uint.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint hex) && hex <= int.MaxValue
            ? (int)hex
            : throw Fail($"{key}={value} is not valid: expected {expected}");
    }

    // Strict, unlike Java's Boolean.parseBoolean, which reads any typo as false. ZooKeeper's forceSync
    // is written yes/no, so both spellings are accepted everywhere.
    private bool Bool(string key, string value) => value.ToLowerInvariant() switch
    {
        "true" or "yes" => true,
        "false" or "no" => false,
        _ => throw Fail($"{key}={value} is not valid: expected true or false (yes or no)"),
    };

    // ZooKeeper raises snapCount and autopurge.snapRetainCount to their minimum with a warning rather than
    // failing; we keep that so existing configs start, and say so.
    private int AtLeast(string key, int value, int minimum)
    {
        if (value >= minimum)
        {
            return value;
        }
        Warn(string.Create(CultureInfo.InvariantCulture, $"{key}={value} is below the minimum {minimum}; using {minimum}"));
        return minimum;
    }

    private string Path(string key, string value) =>
        value.Length > 0 ? ResolvePath(value, baseDirectory) : throw Fail($"{key}= is not valid: expected a directory path");

    // Comma-separated and trimmed, case kept; a "*" anywhere allows every word. Unknown words are kept
    // (harmless) but reported, since a misspelt word silently disables the command the operator meant.
    private IReadOnlySet<string> Whitelist(string key, string value)
    {
        var words = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .ToHashSet(StringComparer.Ordinal);
        if (words.Contains("*"))
        {
            return new HashSet<string>(["*"], StringComparer.Ordinal);
        }
        foreach (string word in words.Where(w => !ServerSettings.KnownFourLetterWords.Contains(w)).Order(StringComparer.Ordinal))
        {
            Warn($"{key} names '{word}', which is not a four-letter word this server knows");
        }
        return words;
    }

    // Problems start with the key they concern ("tickTime=0 is not valid..."), which says where it came from.
    private string SourceOf(string problemOrKey)
    {
        int end = problemOrKey.IndexOfAny(['=', ' ']);
        string key = ZooCfgKeys.Canonical(end < 0 ? problemOrKey : problemOrKey[..end]);
        return _sourceOf.GetValueOrDefault(key, _defaultSource);
    }

    private void Warn(string message) => _warnings.Add($"{_source}: {message}");

    private ConfigException Fail(string message) => new($"{_source}: {message}");
}
