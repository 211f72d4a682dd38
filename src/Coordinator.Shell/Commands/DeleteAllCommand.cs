// deleteall path [-b batch size]: the node and its whole subtree, deepest nodes first.
using Coordinator.Client;
using Coordinator.Core;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class DeleteAllCommand : ShellCommand
{
    public override string Name => "deleteall";
    public override string Usage => "deleteall path [-b batch size]";
    public override string ValuedOptions => "b";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        int batch = IntOption(args, 'b', 1000);
        if (batch <= 0) throw new ShellException("Batch size must be positive", "BadArguments");
        // Deleting from the root would try to delete /zookeeper too; refuse before touching anything.
        if (path == "/")
            throw new ShellException("Arguments are not valid : " + path, "BadArguments");
        var client = session.RequireClient();
        // A missing node is reported as such; any failure below it is zkCli's one summary line.
        await client.GetChildrenAsync(path, cancellation).ConfigureAwait(false);
        try
        {
            await client.DeleteRecursiveAsync(path, cancellation).ConfigureAwait(false);
        }
        catch (KeeperException e) when (e.Code != ErrorCode.ConnectionLoss && e.Code != ErrorCode.SessionExpired)
        {
            throw new ShellException("Failed to delete some node(s) in the subtree!", e.Code.ToString());
        }
        output.Set("deleted", path);
    }
}
