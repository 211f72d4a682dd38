// addauth scheme auth: adds credentials to the session (digest user:password); the SDK resends them on reconnect.
using System.Text;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class AddAuthCommand : ShellCommand
{
    public override string Name => "addauth";
    public override string Usage => "addauth scheme auth";
    public override int ArgsMin => 2;
    public override int ArgsMax => 2;
    public override bool TakesPath => false;

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string scheme = args.Arg(0)!;
        await session.RequireClient().AddAuthAsync(scheme, Encoding.UTF8.GetBytes(args.Arg(1)!), cancellation).ConfigureAwait(false);
        output.Set("added", scheme);
    }
}
