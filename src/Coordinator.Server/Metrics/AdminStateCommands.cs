// Admin commands that read loop-owned state (connections, sessions, watches, the tree digest); each runs on the server loop.
//
// Connections come from the cons word's text, parsed, so the JSON shows the same counters cons does (including
// crst's reset). JSON names and types are ZooKeeper's ServerCnxn.getConnectionInfo: ids and zxids as numbers.
using Coordinator.StateMachine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Coordinator.Server.Metrics;

internal static class AdminStateCommands
{
    /// <summary>ZooKeeper 3.8's DigestCalculator version, reported with every digest.</summary>
    private const int DigestVersion = 2;

    public static JsonObject ConnectionStatReset(ServerNode node)
    {
        StatWords.Crst(node);
        return new JsonObject();
    }

    public static JsonObject StatReset(ServerNode node)
    {
        StatWords.Srst(node);
        return new JsonObject();
    }

    public static JsonObject Connections(ServerNode node) => new()
    {
        ["connections"] = ConnectionList(node, brief: false),
        ["secure_connections"] = new JsonArray(),
    };

    /// <summary>One object per client connection, parsed from cons; brief keeps the five fields stat lists.</summary>
    public static JsonArray ConnectionList(ServerNode node, bool brief)
    {
        var list = new JsonArray();
        foreach (var line in StatWords.Cons(node).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (ParseConsLine(line, brief) is { } connection) list.Add(connection);
        }
        return list;
    }

    /// <summary>" /ip:port[ops](queued=..,recved=..,sent=..[,sid=0x..,lop=..,...])" to ZooKeeper's JSON fields.</summary>
    public static JsonObject? ParseConsLine(string line, bool brief)
    {
        string text = line.Trim();
        int ops = text.IndexOf('[');
        int open = text.IndexOf("](", StringComparison.Ordinal);
        if (ops <= 0 || open < ops || !text.EndsWith(')')) return null;
        var f = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in text[(open + 2)..^1].Split(','))
        {
            int eq = pair.IndexOf('=');
            if (eq > 0) f[pair[..eq]] = pair[(eq + 1)..];
        }
        var json = new JsonObject
        {
            ["remote_socket_address"] = text[..ops].TrimStart('/'),
            ["interest_ops"] = Number(text[(ops + 1)..open], 0),
            ["outstanding_requests"] = Number(f.GetValueOrDefault("queued"), 0),
            ["packets_received"] = Number(f.GetValueOrDefault("recved"), 0),
            ["packets_sent"] = Number(f.GetValueOrDefault("sent"), 0),
        };
        if (brief) return json;
        json["session_id"] = Hex(f.GetValueOrDefault("sid"), 0);
        json["last_operation"] = f.GetValueOrDefault("lop") ?? "NA";
        json["established"] = Number(f.GetValueOrDefault("est"), 0);
        json["session_timeout"] = Number(f.GetValueOrDefault("to"), 0);
        json["last_cxid"] = Hex(f.GetValueOrDefault("lcxid"), -1);
        json["last_zxid"] = Hex(f.GetValueOrDefault("lzxid"), -1);
        json["last_response_time"] = Number(f.GetValueOrDefault("lresp"), 0);
        json["last_latency"] = Number(f.GetValueOrDefault("llat"), 0);
        json["min_latency"] = Number(f.GetValueOrDefault("minlat"), 0);
        json["avg_latency"] = Number(f.GetValueOrDefault("avglat"), 0);
        json["max_latency"] = Number(f.GetValueOrDefault("maxlat"), 0);
        return json;
    }

    /// <summary>srvr's figures as ZooKeeper's ServerStats bean serializes them, from one mntr reading.</summary>
    public static JsonObject ServerStats(MonitorValues m, long lastZxid, string version, long dataDirBytes, long logDirBytes)
    {
        JsonObject ResponseSizes() => new()
        {
            ["last_buffer_size"] = m.Long("last_client_response_size", -1),
            ["min_buffer_size"] = m.Long("min_client_response_size", -1),
            ["max_buffer_size"] = m.Long("max_client_response_size", -1),
        };
        var stats = new JsonObject
        {
            ["packets_sent"] = m.Long("packets_sent"),
            ["packets_received"] = m.Long("packets_received"),
            ["fsync_threshold_exceed_count"] = 0,
            ["client_response_stats"] = ResponseSizes(),
            ["data_dir_size"] = dataDirBytes,
            ["log_dir_size"] = logDirBytes,
            ["provider_null"] = false,
            ["server_state"] = m.Text("server_state") ?? "standalone",
            ["last_processed_zxid"] = lastZxid,
            ["outstanding_requests"] = m.Long("outstanding_requests"),
            ["avg_latency"] = m.TryGetNumber("avg_latency", out double avg) ? avg : 0.0,
            ["max_latency"] = m.Long("max_latency"),
            ["min_latency"] = m.Long("min_latency"),
            ["num_alive_client_connections"] = m.Long("num_alive_connections"),
            ["uptime"] = m.Long("uptime"),
            ["auth_failed_count"] = m.Long("auth_failed_count"),
            ["non_mtlsremote_conn_count"] = m.Long("non_mtls_remote_conn_count"),
            ["non_mtlslocal_conn_count"] = m.Long("non_mtls_local_conn_count"),
        };
        return new JsonObject
        {
            ["version"] = version,
            ["read_only"] = false,
            ["server_stats"] = stats,
            ["client_response"] = ResponseSizes(),
            ["node_count"] = m.Long("znode_count"),
        };
    }

    /// <summary>dump's two tables: sessions by the (tick-rounded, unix ms) time they expire, and each session's ephemerals.</summary>
    public static JsonObject Dump(ServerNode node)
    {
        var expiry = new JsonObject();
        foreach (var bucket in node.SessionDeadlines.GroupBy(s => s.DeadlineMs).OrderBy(b => b.Key))
        {
            expiry[Key(bucket.Key)] = Numbers(bucket.Select(s => s.SessionId).Order());
        }
        var ephemerals = new JsonObject();
        foreach (var (sessionId, paths) in node.Tree.Ephemerals.Where(e => e.Value.Count > 0).OrderBy(e => e.Key))
        {
            ephemerals[Key(sessionId)] = Strings(paths.Order(StringComparer.Ordinal));
        }
        return new JsonObject { ["expiry_time_to_session_ids"] = expiry, ["session_id_to_ephemeral_paths"] = ephemerals };
    }

    /// <summary>wchc as JSON; like the word it lists the data-watch table (see WatchWords).</summary>
    public static JsonObject WatchesBySession(ServerNode node)
    {
        var json = new JsonObject();
        foreach (var (watcher, paths) in node.Tree.Watches.DataWatches.ByWatcher.OrderBy(w => w.Key))
        {
            json[Key(watcher)] = Strings(paths.Order(StringComparer.Ordinal));
        }
        return new JsonObject { ["session_id_to_watched_paths"] = json };
    }

    public static JsonObject WatchesByPath(ServerNode node)
    {
        var json = new JsonObject();
        foreach (var (path, watchers) in node.Tree.Watches.DataWatches.ByPath.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json[path] = Numbers(watchers.Keys.Order());
        }
        return new JsonObject { ["path_to_session_ids"] = json };
    }

    public static JsonObject WatchSummary(ServerNode node)
    {
        var table = node.Tree.Watches.DataWatches;
        return new JsonObject
        {
            ["num_connections"] = table.ByWatcher.Count(),
            ["num_paths"] = table.PathCount,
            ["num_total_watches"] = table.Count,
        };
    }

    /// <summary>hash's digest as one entry of ZooKeeper's digest log (see HashWord for why there is one entry).</summary>
    public static JsonObject Hash(ServerNode node) => new()
    {
        ["digests"] = new JsonArray(new JsonObject
        {
            ["zxid"] = node.LastZxid,
            ["digest"] = TreeDigest.Of(node.Tree),
            ["digest_version"] = DigestVersion,
        }),
    };

    private static string Key(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static JsonArray Numbers(IEnumerable<long> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static long Number(string? text, long fallback) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : fallback;

    /// <summary>"0x..." as the word prints a long (two's complement, so 0xffffffffffffffff is -1).</summary>
    private static long Hex(string? text, long fallback) =>
        text is not null && text.StartsWith("0x", StringComparison.Ordinal)
        && ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v)
            ? unchecked((long)v)
            : fallback;
}
