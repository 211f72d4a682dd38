// The one typed settings table of a node (DESIGN.md habit 12): zoo.cfg keys, defaults, derived values and `conf` output.
using System.Globalization;
using System.Text;
using Coordinator.Core;

namespace Coordinator.Server.Configuration;

/// <summary>
/// Every setting a node reads, under ZooKeeper's key names. The Host fills it from zoo.cfg plus
/// command-line overrides and validates it once at start; nothing else reads configuration.
/// Values that ZooKeeper derives from others (session timeouts from tickTime, dataLogDir from dataDir)
/// stay derived until set explicitly, so <c>Default with { TickTimeMs = 100 }</c> behaves as zoo.cfg would.
/// </summary>
public sealed record ServerSettings
{
    /// <summary>
    /// Four-letter words allowed when zoo.cfg has no 4lw.commands.whitelist. ZooKeeper 3.8 allows only
    /// `srvr`; we also allow the read-only words monitoring tools poll, so a fresh node can be watched
    /// without editing config. `cons` and `wchs` are one line per connection or a count, cheap even with
    /// many clients. Left out on purpose: `wchc`/`wchp`/`dump` walk every watch or session (expensive at
    /// scale, and they list session ids and paths), `crst`/`srst` reset counters (they mutate state).
    /// `envi` stays in because it prints fixed process facts (version, host, OS, directories), never
    /// environment variables or secrets.
    /// </summary>
    public static IReadOnlySet<string> DefaultFourLetterWordWhitelist { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "ruok", "srvr", "stat", "mntr", "conf", "envi", "isro", "cons", "wchs", "dirs",
    };

    /// <summary>Every four-letter word ZooKeeper 3.8 knows; the parser warns about others in the whitelist.</summary>
    public static IReadOnlySet<string> KnownFourLetterWords { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "hash", "isro", "mntr",
        "ruok", "srst", "srvr", "stat", "stmk", "wchc", "wchp", "wchs",
    };

    /// <summary>ZooKeeper puts the server id in the high byte of session ids, so ids must fit in a byte.</summary>
    public const long ServerIdMax = 255;

    /// <summary>With TTL nodes on, a high byte of 0xFF marks a TTL owner, so id 255 would be ambiguous.</summary>
    public const long ServerIdMaxWithExtendedTypes = 254;

    /// <summary>Key of the `membership:` header line in <see cref="ToConfLines"/>; it prints without '='.</summary>
    public const string ConfMembershipKey = "membership:";

    private string? _dataLogDir;
    private int? _minSessionTimeoutMs;
    private int? _maxSessionTimeoutMs;

    public static ServerSettings Default { get; } = new();

    public int TickTimeMs { get; init; } = 2000;

    public string DataDir { get; init; } = "./data";

    /// <summary>Where the txn log goes; follows <see cref="DataDir"/> unless set.</summary>
    public string DataLogDir { get => _dataLogDir ?? DataDir; init => _dataLogDir = value; }

    /// <summary>0 lets the OS choose (tests use this).</summary>
    public int ClientPort { get; init; } = 2181;

    public string ClientPortAddress { get; init; } = "0.0.0.0";

    /// <summary>-1 leaves the listen backlog to the OS, as in ZooKeeper.</summary>
    public int ClientPortListenBacklog { get; init; } = -1;

    /// <summary>Concurrent connections allowed from one client IP; 0 = unlimited.</summary>
    public int MaxClientCnxns { get; init; } = 60;

    /// <summary>2 x tickTime unless set; setting -1 (as zoo.cfg allows) returns it to that default.</summary>
    public int MinSessionTimeoutMs { get => _minSessionTimeoutMs ?? 2 * TickTimeMs; init => _minSessionTimeoutMs = value == -1 ? null : value; }

    /// <summary>20 x tickTime unless set; setting -1 (as zoo.cfg allows) returns it to that default.</summary>
    public int MaxSessionTimeoutMs { get => _maxSessionTimeoutMs ?? 20 * TickTimeMs; init => _maxSessionTimeoutMs = value == -1 ? null : value; }

    /// <summary>jute.maxbuffer: the largest packet or znode payload accepted.</summary>
    public int JuteMaxBufferBytes { get; init; } = Limits.PacketBytesMaxDefault;

    /// <summary>4lw.commands.whitelist; "*" allows every word. See <see cref="DefaultFourLetterWordWhitelist"/>.</summary>
    public IReadOnlySet<string> FourLetterWordWhitelist { get; init; } = DefaultFourLetterWordWhitelist;

    public int GlobalOutstandingLimit { get; init; } = 1000;

    /// <summary>Ticks a follower may take to connect and sync to the leader.</summary>
    public int InitLimit { get; init; } = 10;

    /// <summary>Ticks a follower may lag behind the leader before it is dropped.</summary>
    public int SyncLimit { get; init; } = 5;

    /// <summary>From dataDir/myid; 0 when standalone and the file is absent.</summary>
    public long ServerId { get; init; }

    public IReadOnlyList<PeerSpec> Peers { get; init; } = [];

    /// <summary>DigestAuthenticationProvider.superDigest, "super:&lt;base64 sha1&gt;"; null = no super user.</summary>
    public string? SuperDigest { get; init; }

    /// <summary>
    /// TTL nodes allowed. ZooKeeper defaults this to false; we default to true because TTL nodes are part
    /// of our data model, and set it to false only to match a ZooKeeper ensemble's behaviour exactly.
    /// </summary>
    public bool ExtendedTypesEnabled { get; init; } = true;

    /// <summary>
    /// Writes past a quota's hard limit fail with QuotaExceeded (zookeeper.enforceQuota). ZooKeeper defaults to
    /// false and only logs; we enforce by default, since a hard limit nobody enforces is a surprise.
    /// </summary>
    public bool EnforceQuota { get; init; } = true;

    /// <summary>Transactions between snapshots.</summary>
    public int SnapCount { get; init; } = 100000;

    /// <summary>fsync the txn log before acknowledging. Turning it off trades durability for speed.</summary>
    public bool ForceSync { get; init; } = true;

    public int AutopurgeSnapRetainCount { get; init; } = 3;

    /// <summary>
    /// Hours between purges of old snapshots and logs; 0 disables. ZooKeeper defaults to 0 (off) and disks
    /// fill up; we default to 1 hour so an unattended node keeps its disk use bounded (habit 8).
    /// </summary>
    public int AutopurgePurgeIntervalHours { get; init; } = 1;

    public int MetricsHttpPort { get; init; } = 7000;

    public string MetricsHttpHost { get; init; } = "0.0.0.0";

    public int AdminServerPort { get; init; } = 8080;

    public string AdminServerAddress { get; init; } = "0.0.0.0";

    public bool AdminEnableServer { get; init; } = true;

    /// <summary>Values <see cref="OtlpProtocol"/> takes, as OpenTelemetry's OTEL_EXPORTER_OTLP_PROTOCOL spells them.</summary>
    public const string OtlpProtocolGrpc = "grpc";

    public const string OtlpProtocolHttpProtobuf = "http/protobuf";

    /// <summary>otel.exporter.otlp.endpoint: where OTLP metrics and traces are pushed (http:// or https:// URL); null = no OTLP export.</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary>otel.exporter.otlp.protocol: grpc (the default, port 4317) or http/protobuf (port 4318).</summary>
    public string OtlpProtocol { get; init; } = OtlpProtocolGrpc;

    /// <summary>grpc.port: where the gRPC API listens (HTTP/2 without TLS); null (key absent or empty) = no gRPC; 0 lets the OS choose.</summary>
    public int? GrpcPort { get; init; }

    /// <summary>grpc.address: the address the gRPC port binds to.</summary>
    public string GrpcAddress { get; init; } = "0.0.0.0";

    /// <summary>grpc.watchWindow: recent znode changes kept so a gRPC watch can resume from a past zxid.</summary>
    public int GrpcWatchWindow { get; init; } = 10_000;

    /// <summary>grpc.watchBuffer: live changes buffered per watch stream; a watcher that falls this far behind is ended.</summary>
    public int GrpcWatchBuffer { get; init; } = 1024;

    /// <summary>grpc.maxStreamsPerConnection: concurrent calls (HTTP/2 streams) one gRPC connection may have open.</summary>
    public int GrpcMaxStreamsPerConnection { get; init; } = 100;

    /// <summary>With a single participant listed, run standalone instead of as an ensemble of one.</summary>
    public bool StandaloneEnabled { get; init; } = true;

    /// <summary>
    /// Every key as read from zoo.cfg and overrides, for diagnostics. It holds the super digest as written,
    /// so print chosen keys from it, never the whole table.
    /// </summary>
    public IReadOnlyDictionary<string, string> Raw { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public int ParticipantCount => Peers.Count(p => !p.IsObserver);

    /// <summary>As in ZooKeeper: no peers, or one participant while standaloneEnabled is on.</summary>
    public bool IsStandalone => Peers.Count == 0 || (StandaloneEnabled && ParticipantCount == 1);

    /// <summary>This node's own entry in <see cref="Peers"/>, if any.</summary>
    public PeerSpec? Self => Peers.FirstOrDefault(p => p.Id == ServerId);

    public bool IsObserver => Self?.IsObserver ?? false;

    public bool IsFourLetterWordAllowed(string word) =>
        FourLetterWordWhitelist.Contains("*") || FourLetterWordWhitelist.Contains(word);

    /// <summary>Every broken rule, each one line naming the key, the value and what is allowed; empty when valid.</summary>
    public IReadOnlyList<string> Validate() => ServerSettingsRules.Check(this);

    /// <summary>
    /// What the `conf` four-letter word prints, in ZooKeeper 3.8's order and names. The sizes are the bytes
    /// under dataDir and dataLogDir, which only the storage layer knows, so the caller passes them in.
    /// ZooKeeper prints both directories with the "version-2" subdirectory appended, and so do we.
    /// For ensembles the <see cref="ConfMembershipKey"/> pair (empty value) is followed by server.N pairs and
    /// version; render with <see cref="ToConfText"/> to get ZooKeeper's exact bytes.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToConfLines(long dataDirSizeBytes = 0, long dataLogSizeBytes = 0)
    {
        var lines = new List<KeyValuePair<string, string>>();
        void Add(string key, long value) => lines.Add(new(key, value.ToString(CultureInfo.InvariantCulture)));
        void AddText(string key, string value) => lines.Add(new(key, value));

        Add("clientPort", ClientPort);
        // Secure (TLS) client connections are not served, which ZooKeeper reports as -1.
        Add("secureClientPort", -1);
        AddText("dataDir", Path.Combine(DataDir, "version-2"));
        Add("dataDirSize", dataDirSizeBytes);
        AddText("dataLogDir", Path.Combine(DataLogDir, "version-2"));
        Add("dataLogSize", dataLogSizeBytes);
        Add("tickTime", TickTimeMs);
        Add("maxClientCnxns", MaxClientCnxns);
        Add("minSessionTimeout", MinSessionTimeoutMs);
        Add("maxSessionTimeout", MaxSessionTimeoutMs);
        Add("clientPortListenBacklog", ClientPortListenBacklog);
        Add("serverId", ServerId);
        if (IsStandalone)
        {
            return lines;
        }

        Add("initLimit", InitLimit);
        Add("syncLimit", SyncLimit);
        // Fast leader election is ZooKeeper's only algorithm since 3.4; it is numbered 3.
        Add("electionAlg", 3);
        Add("electionPort", Self?.ElectionPort ?? -1);
        Add("quorumPort", Self?.QuorumPort ?? -1);
        // ZooKeeper prints the LearnerType ordinal: 0 participant, 1 observer.
        Add("peerType", IsObserver ? 1 : 0);
        AddText(ConfMembershipKey, "");
        foreach (var peer in Peers.OrderBy(p => p.Id))
        {
            AddText(string.Create(CultureInfo.InvariantCulture, $"server.{peer.Id}"), peer.ToConfigValue());
        }
        // The config version is the zxid that last changed membership; without dynamic reconfig it stays 0.
        AddText("version", "0");
        return lines;
    }

    /// <summary>
    /// The `conf` view plus the other settings, for logs. The generated record ToString would print
    /// <see cref="SuperDigest"/>, a password hash that is open to offline guessing, so it is redacted.
    /// </summary>
    public override string ToString()
    {
        var extra = new Dictionary<string, string>
        {
            ["clientPortAddress"] = ClientPortAddress,
            ["jute.maxbuffer"] = JuteMaxBufferBytes.ToString(CultureInfo.InvariantCulture),
            ["4lw.commands.whitelist"] = string.Join(",", FourLetterWordWhitelist.Order(StringComparer.Ordinal)),
            ["extendedTypesEnabled"] = ExtendedTypesEnabled ? "true" : "false",
            ["grpc.port"] = GrpcPort is int grpc ? grpc.ToString(CultureInfo.InvariantCulture) : "(off)",
            ["enforceQuota"] = EnforceQuota ? "true" : "false",
            ["DigestAuthenticationProvider.superDigest"] = SuperDigest is null ? "(none)" : "(set, redacted)",
        };
        var pairs = ToConfLines().Where(kv => kv.Key != ConfMembershipKey).Concat(extra);
        return "ServerSettings { " + string.Join(", ", pairs.Select(kv => $"{kv.Key}={kv.Value}")) + " }";
    }

    /// <summary>
    /// <see cref="ToConfLines"/> rendered byte for byte as ZooKeeper 3.8 does: "key=value\n" per line,
    /// "membership: " as a bare header, and no newline after the final version line of an ensemble.
    /// </summary>
    public string ToConfText(long dataDirSizeBytes = 0, long dataLogSizeBytes = 0)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in ToConfLines(dataDirSizeBytes, dataLogSizeBytes))
        {
            text.Append(key == ConfMembershipKey ? "membership: " : $"{key}={value}").Append('\n');
        }
        if (!IsStandalone)
        {
            text.Length--;
        }
        return text.ToString();
    }
}
