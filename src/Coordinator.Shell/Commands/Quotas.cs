// Quota nodes as zkCli 3.7+ keeps them: /zookeeper/quota/<path>/zookeeper_limits (set by the shell) and
// zookeeper_stats (kept up to date by the server), both in StatsTrack's "count=..,bytes=.." text.
using System.Globalization;
using System.Text;
using Coordinator.Client;
using Coordinator.Core;

namespace Coordinator.Shell.Commands;

/// <summary>The four limits of a quota; -1 means "no limit".</summary>
internal sealed record QuotaLimits(long Count, long Bytes, long CountHard, long BytesHard)
{
    public const string QuotaRoot = "/zookeeper/quota";
    public const string LimitsNode = "zookeeper_limits";
    public const string StatsNode = "zookeeper_stats";

    public static readonly QuotaLimits None = new(-1, -1, -1, -1);

    public static string QuotaPath(string path) => QuotaRoot + path;

    public static string LimitsPath(string path) => QuotaPath(path) + "/" + LimitsNode;

    public static string StatsPath(string path) => QuotaPath(path) + "/" + StatsNode;

    /// <summary>
    /// The text zkCli 3.8 writes, quirks included ("count=5,bytes=50=;byteHardLimit=100;countHardLimit=9"), so that
    /// Apache ZooKeeper's own tools read limits set here.
    /// </summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"count={Count},bytes={Bytes}=;byteHardLimit={BytesHard};countHardLimit={CountHard}");

    /// <summary>Reads any StatsTrack text: fields split by ',' or ';', each "key=value"; unknown keys are ignored.</summary>
    public static QuotaLimits Parse(string text)
    {
        var fields = StatsFields(text);
        return new QuotaLimits(fields.GetValueOrDefault("count", -1), fields.GetValueOrDefault("bytes", -1),
            fields.GetValueOrDefault("countHardLimit", -1), fields.GetValueOrDefault("byteHardLimit", -1));
    }

    public static Dictionary<string, long> StatsFields(string text)
    {
        var fields = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string part in text.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] kv = part.Split('=');
            if (kv.Length >= 2 && long.TryParse(kv[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
                fields[kv[0]] = value;
        }
        return fields;
    }

    public static async Task<string?> ReadTextAsync(CoordinatorClient client, string path, CancellationToken cancellation)
    {
        try
        {
            return Encoding.UTF8.GetString((await client.GetDataAsync(path, cancellation).ConfigureAwait(false)).Data);
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    /// <summary>Ancestors of a path, nearest last, without the root ("/a/b/c" → "/a", "/a/b").</summary>
    public static IEnumerable<string> Ancestors(string path)
    {
        for (int i = path.IndexOf('/', 1); i > 0; i = path.IndexOf('/', i + 1)) yield return path[..i];
    }

    public static void CheckPath(string path)
    {
        if (path == "/") throw new ShellException("Path must not end with / character", "BadArguments");
    }
}
