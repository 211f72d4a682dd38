// reconfig [-s] [-v version] [[-file path] | [-members ...]] | [-add ...]* [-remove ...]*: asks for a membership change.
using System.Text;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class ReconfigCommand : ShellCommand
{
    public override string Name => "reconfig";
    public override string Usage => "reconfig [-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]";

    /// <summary>reconfig's options are words (-members, -add), so it reads its own arguments.</summary>
    public override int ArgsMin => 0;
    public override int ArgsMax => int.MaxValue;
    public override bool TakesPath => false;
    public override bool RawArguments => true;

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string? joining = null, leaving = null, members = null;
        long fromConfig = -1;
        bool showStat = false;
        var words = args.Positional;
        for (int i = 0; i < words.Count; i++)
        {
            string word = words[i];
            if (word == "-s") { showStat = true; continue; }
            if (i + 1 >= words.Count) throw new ShellUsageException($"Missing argument for option: {word}");
            string value = words[++i];
            switch (word)
            {
                case "-v":
                    fromConfig = long.TryParse(value, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out long v)
                        ? v : throw new ShellException($"-v {value} is not a hexadecimal config version", "BadArguments");
                    break;
                case "-add": joining = joining is null ? value : joining + "," + value; break;
                case "-remove": leaving = leaving is null ? value : leaving + "," + value; break;
                case "-members": members = value; break;
                case "-file": members = MembersFromFile(value); break;
                default: throw new ShellUsageException($"Unrecognized option: {word}");
            }
        }
        if (members is not null && (joining is not null || leaving is not null))
            throw new ShellException("Can't use -members (or -file) together with -add or -remove (mixing incremental and non-incremental modes)", "BadArguments");
        if (members is null && joining is null && leaving is null) throw new ShellUsageException("");
        var result = await session.RequireClient().ReconfigAsync(joining, leaving, members, fromConfig, cancellation).ConfigureAwait(false);
        string config = Encoding.UTF8.GetString(result.Data);
        output.Line("Committed new configuration:");
        output.Line(config);
        output.Set("config", config);
        if (showStat) Formats.Stat(output, result.Stat);
    }

    private static string MembersFromFile(string path)
    {
        try
        {
            var lines = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.StartsWith("server.", StringComparison.Ordinal));
            return string.Join(',', lines);
        }
        catch (IOException e)
        {
            throw new ShellException($"Cannot read {path}: {e.Message}", "BadArguments");
        }
    }
}
