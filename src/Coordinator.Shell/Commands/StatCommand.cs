// stat [-w] path: the node's Stat; -w leaves an exists watch (which also fires if the node is created later).
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class StatCommand : ShellCommand
{
    public override string Name => "stat";
    public override string Usage => "stat [-w] path";
    public override string Flags => "w";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        var client = session.RequireClient();
        var stat = args.Has('w')
            ? await client.ExistsAsync(path, session.Watcher, cancellation).ConfigureAwait(false)
            : await client.ExistsAsync(path, cancellation).ConfigureAwait(false);
        if (stat is not { } s) throw new ShellException("Node does not exist: " + path, "NoNode");
        output.Set("path", path);
        Formats.Stat(output, s);
    }
}
