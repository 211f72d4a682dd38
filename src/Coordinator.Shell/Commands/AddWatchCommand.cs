// addWatch [-m mode] path: a persistent watch (PERSISTENT or, by default, PERSISTENT_RECURSIVE) that stays after firing.
using Coordinator.Client;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class AddWatchCommand : ShellCommand
{
    public override string Name => "addWatch";
    public override string Usage => "addWatch [-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE";
    public override string ValuedOptions => "m";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        var mode = args.Value('m') switch
        {
            null or "PERSISTENT_RECURSIVE" => AddWatchMode.PersistentRecursive,
            "PERSISTENT" => AddWatchMode.Persistent,
            var other => throw new ShellException($"Unsupported mode: {other}", "BadArguments"),
        };
        await session.RequireClient().AddWatchAsync(path, mode, session.Watcher, cancellation).ConfigureAwait(false);
        output.Set("path", path);
        output.Set("mode", mode == AddWatchMode.Persistent ? "PERSISTENT" : "PERSISTENT_RECURSIVE");
    }
}
