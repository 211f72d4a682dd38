// getEphemerals [path]: this session's ephemeral nodes (under the path, when given).
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class GetEphemeralsCommand : ShellCommand
{
    public override string Name => "getEphemerals";
    public override string Usage => "getEphemerals path";
    public override int ArgsMin => 0;

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = args.Positional.Count > 0 ? PathArg(args) : "/";
        var paths = await session.RequireClient().GetEphemeralsAsync(path, cancellation).ConfigureAwait(false);
        output.Line(Formats.List(paths));
        output.Set("ephemerals", Formats.Array(paths));
    }
}
