// setAcl [-s] [-v version] [-R] path acl: replaces the ACL, of the whole subtree with -R.
using Coordinator.Core;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class SetAclCommand : ShellCommand
{
    public override string Name => "setAcl";
    public override string Usage => "setAcl [-s] [-v version] [-R] path acl";
    public override string Flags => "sR";
    public override string ValuedOptions => "v";
    public override int ArgsMin => 2;
    public override int ArgsMax => 2;

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        var acl = Formats.ParseAcl(args.Arg(1)!);
        int version = IntOption(args, 'v', -1);
        var client = session.RequireClient();
        output.Set("path", path);
        if (args.Has('R'))
        {
            // Breadth-first, parent before children, as zkCli walks the tree; every node at any version.
            var queue = new Queue<string>([path]);
            int count = 0;
            while (queue.TryDequeue(out string? next) && count < Commands.LsCommand.RecursiveNodesMax)
            {
                var children = (await client.GetChildrenAsync(next, cancellation).ConfigureAwait(false)).Children;
                await client.SetAclAsync(next, acl, -1, cancellation).ConfigureAwait(false);
                count++;
                foreach (string child in children.Order(StringComparer.Ordinal)) queue.Enqueue(PathValidation.Join(next, child));
            }
            output.Set("updated", count);
            return;
        }
        var stat = await client.SetAclAsync(path, acl, version, cancellation).ConfigureAwait(false);
        if (args.Has('s')) Formats.Stat(output, stat);
        else output.Set("stat", Formats.StatJson(stat));
    }
}
