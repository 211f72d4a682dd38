// zkCli's renderings of a Stat, an ACL and a child list, with their JSON twins.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Coordinator.Core;
using Coordinator.Jute.Records;

namespace Coordinator.Shell.Output;

internal static class Formats
{
    /// <summary>The Stat as zkCli prints it (times as Java's Date.toString, in UTC).</summary>
    public static void Stat(CommandOutput output, Stat stat)
    {
        output.Line("cZxid = " + Hex(stat.Czxid));
        output.Line("ctime = " + JavaDate(stat.Ctime));
        output.Line("mZxid = " + Hex(stat.Mzxid));
        output.Line("mtime = " + JavaDate(stat.Mtime));
        output.Line("pZxid = " + Hex(stat.Pzxid));
        output.Line("cversion = " + Int(stat.Cversion));
        output.Line("dataVersion = " + Int(stat.Version));
        output.Line("aclVersion = " + Int(stat.Aversion));
        output.Line("ephemeralOwner = " + Hex(stat.EphemeralOwner));
        output.Line("dataLength = " + Int(stat.DataLength));
        output.Line("numChildren = " + Int(stat.NumChildren));
        output.Set("stat", StatJson(stat));
    }

    public static JsonObject StatJson(Stat stat) => new()
    {
        ["czxid"] = stat.Czxid,
        ["mzxid"] = stat.Mzxid,
        ["pzxid"] = stat.Pzxid,
        ["ctime"] = stat.Ctime,
        ["mtime"] = stat.Mtime,
        ["version"] = stat.Version,
        ["cversion"] = stat.Cversion,
        ["aversion"] = stat.Aversion,
        ["ephemeralOwner"] = stat.EphemeralOwner,
        ["dataLength"] = stat.DataLength,
        ["numChildren"] = stat.NumChildren,
    };

    public static string Hex(long value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Java's Date.toString() ("Thu Jan 01 00:00:00 UTC 1970"), always in UTC.</summary>
    public static string JavaDate(long epochMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(epochMs).UtcDateTime
            .ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);

    /// <summary>Java's List.toString: "[a, b]".</summary>
    public static string List(IEnumerable<string> items) => "[" + string.Join(", ", items) + "]";

    public static JsonArray Array(IEnumerable<string> items) => new([.. items.Select(i => (JsonNode?)JsonValue.Create(i))]);

    /// <summary>zkCli's permission letters, in its order: c d r w a.</summary>
    public static string Perms(int perms)
    {
        var text = new StringBuilder();
        if ((perms & (int)Core.Perms.Create) != 0) text.Append('c');
        if ((perms & (int)Core.Perms.Delete) != 0) text.Append('d');
        if ((perms & (int)Core.Perms.Read) != 0) text.Append('r');
        if ((perms & (int)Core.Perms.Write) != 0) text.Append('w');
        if ((perms & (int)Core.Perms.Admin) != 0) text.Append('a');
        return text.ToString();
    }

    public static void Acl(CommandOutput output, IReadOnlyList<Acl> acl)
    {
        var json = new JsonArray();
        foreach (var entry in acl)
        {
            output.Line($"'{entry.Id.Scheme},'{entry.Id.Ident}");
            output.Line(": " + Perms(entry.Perms));
            json.Add(new JsonObject { ["scheme"] = entry.Id.Scheme, ["id"] = entry.Id.Ident, ["perms"] = Perms(entry.Perms) });
        }
        output.Set("acl", json);
    }

    /// <summary>
    /// Parses zkCli's ACL syntax, "scheme:id:perms[,scheme:id:perms...]" (the id may hold colons, as digest and
    /// ip ids do). Perms are letters from "cdrwa".
    /// </summary>
    public static List<Acl> ParseAcl(string text)
    {
        var acl = new List<Acl>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int first = part.IndexOf(':', StringComparison.Ordinal);
            int last = part.LastIndexOf(':');
            if (first <= 0 || last == first) throw new ShellException($"{part} does not have the form scheme:id:perm", "BadArguments");
            int perms = 0;
            foreach (char c in part[(last + 1)..])
            {
                perms |= c switch
                {
                    'r' => (int)Core.Perms.Read,
                    'w' => (int)Core.Perms.Write,
                    'c' => (int)Core.Perms.Create,
                    'd' => (int)Core.Perms.Delete,
                    'a' => (int)Core.Perms.Admin,
                    _ => throw new ShellException($"Unknown perm type: {c}", "BadArguments"),
                };
            }
            acl.Add(new Acl(perms, new Id(part[..first], part[(first + 1)..last])));
        }
        if (acl.Count == 0) throw new ShellException("Acl is empty", "BadArguments");
        return acl;
    }
}
