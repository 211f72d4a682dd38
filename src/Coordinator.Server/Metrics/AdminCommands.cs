// The AdminServer's commands: ZooKeeper 3.8's names, aliases and JSON fields, answered from the four-letter words' sources.
//
// Every response is a JSON object holding the command's fields, then "command" (the primary name) and "error"
// (null, or a message), as ZooKeeper's CommandResponse.toMap orders them; a command that reports an error among
// its fields (leader on a standalone server) keeps it there. An unknown name answers
// {"command": <name>, "error": "Unknown command: <name>"}, as ZooKeeper does (with HTTP 200).
// Commands that read the tree, sessions, watches or counters run on the server loop (ServerNode.QueryAsync);
// the rest read settings and the process. Standalone answers (leader, voting_view, zabstate, observers) are
// what a standalone ZooKeeper 3.8 answers; they will report the ensemble once it exists.
using System.Globalization;
using System.Text.Json.Nodes;

namespace Coordinator.Server.Metrics;

public sealed class AdminCommands(ServerNode node, FourLetterWords words, Func<FourLetterWordContext> context)
{
    private delegate Task<JsonObject> Handler(AdminCommands commands, IReadOnlyDictionary<string, string> args, CancellationToken ct);

    private sealed record Command(string[] Names, Handler Run)
    {
        public string Primary => Names[0];
    }

    // Primary name first, then the aliases, exactly as ZooKeeper 3.8's Commands registers them.
    private static readonly Command[] All =
    [
        new(["connection_stat_reset", "crst"], (c, _, ct) => c.OnLoop(AdminStateCommands.ConnectionStatReset, ct)),
        new(["configuration", "conf", "config"], (c, _, _) => Task.FromResult(c.Configuration())),
        new(["connections", "cons"], (c, _, ct) => c.OnLoop(AdminStateCommands.Connections, ct)),
        new(["hash"], (c, _, ct) => c.OnLoop(AdminStateCommands.Hash, ct)),
        new(["dirs"], (c, _, _) => Task.FromResult(c.Dirs())),
        new(["dump"], (c, _, ct) => c.OnLoop(AdminStateCommands.Dump, ct)),
        new(["environment", "env", "envi"], (c, _, _) => Task.FromResult(c.EnvironmentFacts(sorted: false))),
        new(["get_trace_mask", "gtmk"], (c, _, _) => Task.FromResult(new JsonObject { ["tracemask"] = c._words.TraceMask })),
        new(["initial_configuration", "icfg"], (c, _, _) => Task.FromResult(c.InitialConfiguration())),
        new(["is_read_only", "isro"], (_, _, _) => Task.FromResult(new JsonObject { ["read_only"] = false })),
        new(["last_snapshot", "lsnp"], (c, _, _) => Task.FromResult(c.LastSnapshot())),
        new(["leader", "lead"], (_, _, _) => Task.FromResult(new JsonObject { ["error"] = "server is not initialized" })),
        new(["monitor", "mntr"], (c, _, ct) => c.MonitorAsync(ct)),
        new(["observer_connection_stat_reset", "orst"], (_, _, _) => Task.FromResult(new JsonObject())),
        new(["ruok"], (_, _, _) => Task.FromResult(new JsonObject())),
        new(["set_trace_mask", "stmk"], (c, args, ct) => c.SetTraceMaskAsync(args, ct)),
        new(["server_stats", "srvr"], (c, _, ct) => c.ServerStatsAsync(withConnections: false, ct)),
        new(["stats", "stat"], (c, _, ct) => c.ServerStatsAsync(withConnections: true, ct)),
        new(["stat_reset", "srst"], (c, _, ct) => c.OnLoop(AdminStateCommands.StatReset, ct)),
        new(["observers", "obsr"], (_, _, _) => Task.FromResult(new JsonObject { ["synced_observers"] = 0, ["observers"] = new JsonArray() })),
        new(["system_properties", "sysp"], (c, _, _) => Task.FromResult(c.EnvironmentFacts(sorted: true))),
        new(["voting_view"], (_, _, _) => Task.FromResult(new JsonObject { ["current_config"] = new JsonObject() })),
        new(["watches", "wchc"], (c, _, ct) => c.OnLoop(AdminStateCommands.WatchesBySession, ct)),
        new(["watches_by_path", "wchp"], (c, _, ct) => c.OnLoop(AdminStateCommands.WatchesByPath, ct)),
        new(["watch_summary", "wchs"], (c, _, ct) => c.OnLoop(AdminStateCommands.WatchSummary, ct)),
        new(["zabstate"], (_, _, _) => Task.FromResult(new JsonObject { ["voting"] = false, ["zabstate"] = "" })),
    ];

    private static readonly Dictionary<string, Command> ByName =
        All.SelectMany(c => c.Names.Select(n => (n, c))).ToDictionary(p => p.n, p => p.c, StringComparer.Ordinal);

    private readonly ServerNode _node = node;
    private readonly FourLetterWords _words = words;
    private readonly Func<FourLetterWordContext> _context = context;

    /// <summary>Every command's primary name, sorted, as ZooKeeper lists them under /commands.</summary>
    public static IReadOnlyList<string> PrimaryNames { get; } = All.Select(c => c.Primary).Order(StringComparer.Ordinal).ToList();

    /// <summary>The primary name a name or alias stands for; null when no command has that name.</summary>
    public static string? PrimaryNameOf(string name) => ByName.GetValueOrDefault(name)?.Primary;

    /// <summary>Every name and alias of the command <paramref name="primary"/> answers to.</summary>
    public static IReadOnlyList<string> NamesOf(string primary) => ByName.GetValueOrDefault(primary)?.Names ?? [];

    /// <summary>Runs a command by any of its names; <paramref name="args"/> are the request's query parameters.</summary>
    public async Task<JsonObject> RunAsync(string name, IReadOnlyDictionary<string, string> args, CancellationToken ct)
    {
        if (!ByName.TryGetValue(name, out var command)) return Response(name, new JsonObject(), $"Unknown command: {name}");
        return Response(command.Primary, await command.Run(this, args, ct), error: null);
    }

    /// <summary>ZooKeeper's CommandResponse.toMap: the fields, then "command" and "error" unless a field already holds them.</summary>
    private static JsonObject Response(string command, JsonObject fields, string? error)
    {
        if (!fields.ContainsKey("command")) fields["command"] = command;
        if (!fields.ContainsKey("error")) fields["error"] = error;
        return fields;
    }

    private Task<JsonObject> OnLoop(Func<ServerNode, JsonObject> build, CancellationToken ct) => _node.QueryAsync(build, ct);

    private string Version => _context().Version;

    /// <summary>conf's values under ZooKeeper's JSON names (ZooKeeperServerConf.toMap), with the port actually bound.</summary>
    private JsonObject Configuration()
    {
        var conf = _node.Settings.ToConfLines().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var json = new JsonObject { ["client_port"] = _context().ClientPort };
        foreach (var (key, jsonKey) in ConfJsonNames)
        {
            if (conf.TryGetValue(key, out string? value)) json[jsonKey] = MonitorValues.JsonOf(value);
        }
        return json;
    }

    private static readonly (string Key, string JsonKey)[] ConfJsonNames =
    [
        ("dataDir", "data_dir"), ("dataLogDir", "data_log_dir"), ("tickTime", "tick_time"),
        ("maxClientCnxns", "max_client_cnxns"), ("minSessionTimeout", "min_session_timeout"),
        ("maxSessionTimeout", "max_session_timeout"), ("serverId", "server_id"),
        ("clientPortListenBacklog", "client_port_listen_backlog"),
    ];

    private JsonObject Dirs() => new()
    {
        ["datadir_size"] = ProcessFacts.StorageBytes(_node.Settings.DataDir),
        ["logdir_size"] = ProcessFacts.StorageBytes(_node.Settings.DataLogDir),
    };

    /// <summary>envi's facts as JSON; system_properties lists the same facts sorted, the nearest .NET has to Java's properties.</summary>
    private JsonObject EnvironmentFacts(bool sorted)
    {
        var facts = new List<KeyValuePair<string, string>>();
        foreach (var line in EnvironmentWords.Envi(Version).Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            int eq = line.IndexOf('=');
            if (eq > 0) facts.Add(new(line[..eq], line[(eq + 1)..]));
        }
        if (sorted) facts.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var json = new JsonObject();
        foreach (var (key, value) in facts) json[key] = value;
        return json;
    }

    /// <summary>The configuration as read (zoo.cfg plus overrides), one "key=value" line each; the super digest is redacted.</summary>
    private JsonObject InitialConfiguration()
    {
        var text = new System.Text.StringBuilder();
        foreach (var (key, value) in _node.Settings.Raw)
        {
            bool secret = key.EndsWith("superDigest", StringComparison.OrdinalIgnoreCase);
            text.Append(key).Append('=').Append(secret ? "(redacted)" : value).Append('\n');
        }
        return new JsonObject { ["initial_configuration"] = text.ToString() };
    }

    /// <summary>
    /// The newest snapshot in dataDir/version-2 (ZooKeeper's "snapshot.&lt;hex zxid&gt;" files): its zxid in hex and
    /// when it was written, in unix seconds. Without one, ZooKeeper's "none": zxid ffffffffffffffff (-1), timestamp -1.
    /// </summary>
    private JsonObject LastSnapshot()
    {
        long zxid = -1, timestamp = -1;
        try
        {
            foreach (var file in new DirectoryInfo(Path.Combine(_node.Settings.DataDir, SnapshotFolder)).EnumerateFiles(SnapshotPrefix + ".*"))
            {
                string[] parts = file.Name.Split('.');
                if (parts.Length is 2 or 3
                    && long.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long z) && z > zxid)
                {
                    zxid = z;
                    timestamp = new DateTimeOffset(file.LastWriteTimeUtc).ToUnixTimeSeconds();
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return new JsonObject { ["zxid"] = zxid.ToString("x", CultureInfo.InvariantCulture), ["timestamp"] = timestamp };
    }

    private const string SnapshotFolder = "version-2";
    private const string SnapshotPrefix = "snapshot";

    private async Task<JsonObject> MonitorAsync(CancellationToken ct)
    {
        var values = await MonitorValues.ReadAsync(_node, Version, ct);
        var json = new JsonObject();
        foreach (var (key, value) in values.Pairs) json[key] = MonitorValues.JsonOf(value);
        return json;
    }

    /// <summary>
    /// Shares the trace mask with the stmk word. The word is the only way to set it, so while stmk is not in
    /// 4lw.commands.whitelist this answers an error instead (the mask changes nothing in this server's logging).
    /// </summary>
    private async Task<JsonObject> SetTraceMaskAsync(IReadOnlyDictionary<string, string> args, CancellationToken ct)
    {
        if (!args.TryGetValue("traceMask", out string? text)) return new JsonObject { ["error"] = "setTraceMask requires long traceMask argument" };
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long mask))
            return new JsonObject { ["error"] = "setTraceMask requires long traceMask argument, got " + text };
        if (!_words.IsAllowed("stmk")) return new JsonObject { ["error"] = "set_trace_mask is refused: stmk is not in 4lw.commands.whitelist" };
        var argument = new byte[FourLetterWords.TraceMaskArgumentBytes];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(argument, mask);
        await _words.RunAsync("stmk", argument, ct);
        return new JsonObject { ["tracemask"] = _words.TraceMask };
    }

    private async Task<JsonObject> ServerStatsAsync(bool withConnections, CancellationToken ct)
    {
        var input = new WordInputs(Version, ProcessFacts.Read());
        var (monitor, zxid, connections) = await _node.QueryAsync(
            n => (MonitorValues.Take(n, input), n.LastZxid, withConnections ? AdminStateCommands.ConnectionList(n, brief: true) : null), ct);
        var json = AdminStateCommands.ServerStats(monitor, zxid, Version,
            ProcessFacts.StorageBytes(_node.Settings.DataDir), ProcessFacts.StorageBytes(_node.Settings.DataLogDir));
        if (connections is not null)
        {
            json["connections"] = connections;
            json["secure_connections"] = new JsonArray();
        }
        return json;
    }
}
