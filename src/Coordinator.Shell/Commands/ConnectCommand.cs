// connect [host:port]: closes the current session and opens a new one (to the same server when none is given).
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class ConnectCommand : ShellCommand
{
    public override string Name => "connect";
    public override string Usage => "connect host:port";
    public override int ArgsMin => 0;
    public override bool TakesPath => false;

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string server = args.Arg(0) ?? session.Server;
        try
        {
            await session.ConnectAsync(server).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw new ShellException(e.Message, "BadArguments");
        }
        await session.WaitConnectedAsync(cancellation).ConfigureAwait(false);
        output.Set("server", server);
        output.Set("state", session.StateName);
    }
}
