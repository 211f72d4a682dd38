// set [-s] [-v version] path data: replaces the data, optionally only at the given version; -s prints the new Stat.
using System.Text;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class SetCommand : ShellCommand
{
    public override string Name => "set";
    public override string Usage => "set [-s] [-v version] path data";
    public override string Flags => "s";
    public override string ValuedOptions => "v";
    public override int ArgsMin => 2;
    public override int ArgsMax => 2;

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        int version = IntOption(args, 'v', -1);
        var stat = await session.RequireClient().SetDataAsync(path, Encoding.UTF8.GetBytes(args.Arg(1)!), version, cancellation).ConfigureAwait(false);
        output.Set("path", path);
        if (args.Has('s')) Formats.Stat(output, stat);
        else output.Set("stat", Formats.StatJson(stat));
    }
}
