// printwatches on|off: whether watch events are printed as they arrive; without an argument, says which.
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class PrintWatchesCommand : ShellCommand
{
    public override string Name => "printwatches";
    public override string Usage => "printwatches on|off";
    public override int ArgsMin => 0;
    public override bool TakesPath => false;

    public override Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        switch (args.Arg(0))
        {
            case null:
                output.Line("printwatches is " + (session.PrintWatches ? "on" : "off"));
                break;
            case "on":
                session.PrintWatches = true;
                break;
            case "off":
                session.PrintWatches = false;
                break;
            default:
                throw new ShellUsageException("");
        }
        output.Set("printwatches", session.PrintWatches);
        return Task.CompletedTask;
    }
}
