// ls [-s] [-w] [-R] path: the children (sorted, as zkCli shows them), the subtree with -R, the Stat with -s.
using System.Text.Json.Nodes;
using Coordinator.Core;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class LsCommand : ShellCommand
{
    /// <summary>ls -R stops listing beyond this many nodes rather than walking a huge tree without end.</summary>
    public const int RecursiveNodesMax = 100_000;

    public override string Name => "ls";
    public override string Usage => "ls [-s] [-w] [-R] path";
    public override string Flags => "swR";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        var client = session.RequireClient();
        if (args.Has('R'))
        {
            var all = new List<string>();
            var queue = new Queue<string>([path]);
            while (queue.TryDequeue(out string? next) && all.Count < RecursiveNodesMax)
            {
                all.Add(next);
                var children = (await client.GetChildrenAsync(next, cancellation).ConfigureAwait(false)).Children;
                foreach (string child in children.Order(StringComparer.Ordinal)) queue.Enqueue(PathValidation.Join(next, child));
            }
            foreach (string p in all) output.Line(p);
            output.Set("path", path);
            output.Set("paths", Formats.Array(all));
            return;
        }
        var result = args.Has('w')
            ? await client.GetChildrenAsync(path, session.Watcher, cancellation).ConfigureAwait(false)
            : await client.GetChildrenAsync(path, cancellation).ConfigureAwait(false);
        var sorted = result.Children.Order(StringComparer.Ordinal).ToList();
        output.Line(Formats.List(sorted));
        output.Set("path", path);
        output.Set("children", Formats.Array(sorted));
        if (args.Has('s')) Formats.Stat(output, result.Stat);
    }
}
