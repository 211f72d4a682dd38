// getAllChildrenNumber path: how many nodes lie below the path, at any depth.
using System.Globalization;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class GetAllChildrenNumberCommand : ShellCommand
{
    public override string Name => "getAllChildrenNumber";
    public override string Usage => "getAllChildrenNumber path";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        int count = await session.RequireClient().GetAllChildrenNumberAsync(path, cancellation).ConfigureAwait(false);
        output.Line(count.ToString(CultureInfo.InvariantCulture));
        output.Set("path", path);
        output.Set("count", count);
    }
}
