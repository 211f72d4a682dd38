// delete [-v version] path: one node, optionally only at the given data version.
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class DeleteCommand : ShellCommand
{
    public override string Name => "delete";
    public override string Usage => "delete [-v version] path";
    public override string ValuedOptions => "v";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        int version = IntOption(args, 'v', -1);
        await session.RequireClient().DeleteAsync(path, version, cancellation).ConfigureAwait(false);
        output.Set("deleted", path);
    }
}
