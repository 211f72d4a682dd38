// Quotas as ZooKeeper 3.7+ keeps them in the tree: /zookeeper/quota/<path>/zookeeper_limits holds the limits a client
// set, /zookeeper/quota/<path>/zookeeper_stats the usage the tree keeps current. Both in StatsTrack's text.
using System.Globalization;
using System.Text;

namespace Coordinator.StateMachine;

/// <summary>Usage of a quota'd subtree: nodes (the quota'd node included) and bytes of data.</summary>
public readonly record struct QuotaUsage(long Count, long Bytes)
{
    /// <summary>The stats node's text, as ZooKeeper writes it.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"count={Count},bytes={Bytes}");

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(ToString());
}

/// <summary>A quota's limits; -1 means "none". Soft limits are logged when exceeded, hard limits refuse the write.</summary>
public readonly record struct QuotaLimits(long Count, long Bytes, long CountHard, long BytesHard);

/// <summary>A soft limit a write went past (the write is done; the server logs it).</summary>
public readonly record struct QuotaWarning(string QuotaPath, string Kind, long Value, long Limit);

public static class Quotas
{
    public const string LimitsNode = "zookeeper_limits";
    public const string StatsNode = "zookeeper_stats";

    private const string Prefix = DataTree.QuotaPath + "/";

    public static string LimitsPath(string path) => DataTree.QuotaPath + path + "/" + LimitsNode;

    public static string StatsPath(string path) => DataTree.QuotaPath + path + "/" + StatsNode;

    /// <summary>
    /// Reads StatsTrack text in any of its spellings: "count=1,bytes=2", and 3.7's
    /// "count=1,bytes=2=;byteHardLimit=3;countHardLimit=4". Fields missing or unreadable are -1.
    /// </summary>
    public static Dictionary<string, long> Fields(byte[]? data)
    {
        var fields = new Dictionary<string, long>(StringComparer.Ordinal);
        if (data is null) return fields;
        foreach (string part in Encoding.UTF8.GetString(data).Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] kv = part.Split('=');
            if (kv.Length >= 2 && long.TryParse(kv[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
                fields[kv[0]] = value;
        }
        return fields;
    }

    public static QuotaLimits ParseLimits(byte[]? data)
    {
        var f = Fields(data);
        return new QuotaLimits(f.GetValueOrDefault("count", -1), f.GetValueOrDefault("bytes", -1),
            f.GetValueOrDefault("countHardLimit", -1), f.GetValueOrDefault("byteHardLimit", -1));
    }

    public static QuotaUsage ParseUsage(byte[]? data)
    {
        var f = Fields(data);
        return new QuotaUsage(f.GetValueOrDefault("count", 0), f.GetValueOrDefault("bytes", 0));
    }

    /// <summary>
    /// The deepest quota'd path at or above <paramref name="path"/> (ZooKeeper's getMaxPrefixWithQuota), or null.
    /// The root cannot carry a quota. Found from the limits nodes themselves, so nothing needs rebuilding after a
    /// restart: a restored tree answers the same as the tree that was snapshotted.
    /// </summary>
    public static string? QuotaRootOf(DataTree tree, string path)
    {
        if (tree.GetNode(DataTree.QuotaPath) is not { } quotaRoot || quotaRoot.Children.Count == 0 || path == "/") return null;
        for (int end = path.Length; end > 0; end = path.LastIndexOf('/', end - 1))
        {
            string candidate = path[..end];
            if (tree.GetNode(LimitsPath(candidate)) is not null) return candidate;
        }
        return null;
    }

    /// <summary>The path a stats node keeps usage for ("/zookeeper/quota/a/b/zookeeper_stats" → "/a/b"), or null.</summary>
    public static string? StatsTarget(string path)
    {
        const string suffix = "/" + StatsNode;
        if (!path.StartsWith(Prefix, StringComparison.Ordinal) || !path.EndsWith(suffix, StringComparison.Ordinal)) return null;
        int length = path.Length - DataTree.QuotaPath.Length - suffix.Length;
        return length > 0 ? path.Substring(DataTree.QuotaPath.Length, length) : null;
    }
}
