// mntr's lines parsed back into key/value pairs, so the admin monitor command and the Prometheus gauges show exactly what mntr prints.
using System.Globalization;
using System.Text.Json.Nodes;

namespace Coordinator.Server.Metrics;

/// <summary>One reading of mntr: keys without the "zk_" prefix, in mntr's order, values as mntr printed them.</summary>
public sealed class MonitorValues
{
    private const string Prefix = "zk_";
    private readonly Dictionary<string, string> _byKey;

    private MonitorValues(List<KeyValuePair<string, string>> pairs, DateTimeOffset takenAt)
    {
        Pairs = pairs;
        TakenAt = takenAt;
        _byKey = pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
    }

    public IReadOnlyList<KeyValuePair<string, string>> Pairs { get; }

    public DateTimeOffset TakenAt { get; }

    public static MonitorValues Empty { get; } = new([], DateTimeOffset.MinValue);

    /// <summary>Reads the process facts off the loop, then renders mntr on the loop (the only safe place to read the node).</summary>
    public static Task<MonitorValues> ReadAsync(ServerNode node, string version, CancellationToken ct)
    {
        var input = new WordInputs(version, ProcessFacts.Read());
        return node.QueryAsync(n => Parse(MonitorWord.Mntr(n, input), n.Time.GetUtcNow()), ct);
    }

    /// <summary>Must run on the loop: mntr reads loop-owned state.</summary>
    internal static MonitorValues Take(ServerNode node, WordInputs input) => Parse(MonitorWord.Mntr(node, input), node.Time.GetUtcNow());

    public static MonitorValues Parse(string mntr, DateTimeOffset takenAt)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var line in mntr.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int tab = line.IndexOf('\t');
            if (tab <= 0) continue;
            string key = line[..tab];
            if (key.StartsWith(Prefix, StringComparison.Ordinal)) key = key[Prefix.Length..];
            pairs.Add(new(key, line[(tab + 1)..]));
        }
        return new MonitorValues(pairs, takenAt);
    }

    public string? Text(string key) => _byKey.GetValueOrDefault(key);

    public bool TryGetNumber(string key, out double value)
    {
        value = 0;
        return _byKey.TryGetValue(key, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public long Long(string key, long fallback = 0) =>
        _byKey.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : fallback;

    /// <summary>As JSON: an integer where mntr printed one, a double where it printed a fraction, text otherwise.</summary>
    public JsonNode? Json(string key) => _byKey.TryGetValue(key, out var text) ? JsonOf(text) : null;

    public static JsonNode JsonOf(string text)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return JsonValue.Create(l);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)) return JsonValue.Create(d);
        return JsonValue.Create(text);
    }
}
