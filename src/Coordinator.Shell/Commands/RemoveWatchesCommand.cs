// removewatches path [-c|-d|-a] [-l]: removes the shell's child, data or all watches on a path (-l: only locally).
using Coordinator.Client;
using Coordinator.Core;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class RemoveWatchesCommand : ShellCommand
{
    public override string Name => "removewatches";
    public override string Usage => "removewatches path [-c|-d|-a] [-l]";
    public override string Flags => "cdal";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        var type = args.Has('c') ? WatcherType.Children : args.Has('d') ? WatcherType.Data : WatcherType.Any;
        try
        {
            await session.RequireClient().RemoveWatchesAsync(path, type, null, args.Has('l'), cancellation).ConfigureAwait(false);
        }
        catch (NoWatcherException)
        {
            throw new ShellException("No such watcher: " + path, "NoWatcher");
        }
        output.Set("path", path);
        output.Set("type", type.ToString());
    }
}
