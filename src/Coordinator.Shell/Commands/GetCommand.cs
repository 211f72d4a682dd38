// get [-s] [-w] path: the node's data as text ("null" when it holds none, as zkCli prints it) and its Stat with -s.
using System.Text;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class GetCommand : ShellCommand
{
    public override string Name => "get";
    public override string Usage => "get [-s] [-w] path";
    public override string Flags => "sw";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        var client = session.RequireClient();
        var result = args.Has('w')
            ? await client.GetDataAsync(path, session.Watcher, cancellation).ConfigureAwait(false)
            : await client.GetDataAsync(path, cancellation).ConfigureAwait(false);
        // The SDK does not tell null data from empty data; zkCli's own creates store null, which it prints as "null".
        output.Line(result.Data.Length == 0 ? "null" : Encoding.UTF8.GetString(result.Data));
        output.Set("path", path);
        output.Set("data", Encoding.UTF8.GetString(result.Data));
        output.Set("dataBase64", Convert.ToBase64String(result.Data));
        if (args.Has('s')) Formats.Stat(output, result.Stat);
    }
}
