// close: ends the session (its ephemeral nodes go at once); the shell stays, and `connect` opens a new one.
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class CloseCommand : ShellCommand
{
    public override string Name => "close";
    public override string Usage => "close";
    public override int ArgsMin => 0;
    public override int ArgsMax => 0;
    public override bool TakesPath => false;

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        await session.CloseAsync().ConfigureAwait(false);
        output.Set("closed", true);
    }
}
