// sync path: waits until the connected server has caught up with the leader.
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class SyncCommand : ShellCommand
{
    public override string Name => "sync";
    public override string Usage => "sync path";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        await session.RequireClient().SyncAsync(path, cancellation).ConfigureAwait(false);
        output.Line("Sync is OK");
        output.Set("synced", path);
    }
}
