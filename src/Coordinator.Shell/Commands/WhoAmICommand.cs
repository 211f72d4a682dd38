// whoami: the identities the server holds for this session.
using System.Text.Json.Nodes;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class WhoAmICommand : ShellCommand
{
    public override string Name => "whoami";
    public override string Usage => "whoami";
    public override int ArgsMin => 0;
    public override int ArgsMax => 0;
    public override bool TakesPath => false;

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        var infos = await session.RequireClient().WhoAmIAsync(cancellation).ConfigureAwait(false);
        output.Line("Auth scheme: User");
        var json = new JsonArray();
        foreach (var info in infos)
        {
            output.Line($"{info.AuthScheme}: {info.User}");
            json.Add(new JsonObject { ["scheme"] = info.AuthScheme, ["user"] = info.User });
        }
        output.Set("identities", json);
    }
}
