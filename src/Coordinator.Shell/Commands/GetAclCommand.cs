// getAcl [-s] path: the ACL in zkCli's two-line form per entry; -s adds the Stat.
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class GetAclCommand : ShellCommand
{
    public override string Name => "getAcl";
    public override string Usage => "getAcl [-s] path";
    public override string Flags => "s";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        var result = await session.RequireClient().GetAclAsync(path, cancellation).ConfigureAwait(false);
        output.Set("path", path);
        Formats.Acl(output, result.Acl);
        if (args.Has('s')) Formats.Stat(output, result.Stat);
    }
}
