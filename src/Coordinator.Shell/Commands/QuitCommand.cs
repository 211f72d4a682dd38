// quit: closes the session and leaves the shell.
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class QuitCommand : ShellCommand
{
    public override string Name => "quit";
    public override string Usage => "quit";
    public override int ArgsMin => 0;
    public override int ArgsMax => 0;
    public override bool TakesPath => false;

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        await session.CloseAsync().ConfigureAwait(false);
        session.QuitRequested = true;
    }
}
