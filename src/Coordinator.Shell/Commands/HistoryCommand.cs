// history: the last ten commands and this one, numbered for redo.
using System.Text.Json.Nodes;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class HistoryCommand : ShellCommand
{
    public override string Name => "history";
    public override string Usage => "history";
    public override int ArgsMin => 0;
    public override int ArgsMax => 0;
    public override bool TakesPath => false;

    public override Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        var json = new JsonArray();
        int last = session.CommandCount - 1;
        for (int i = Math.Max(0, last - ShellSession.HistoryShownMax); i <= last; i++)
        {
            if (!session.History.TryGetValue(i, out string? line)) continue;
            output.Line($"{i} - {line}");
            json.Add(new JsonObject { ["index"] = i, ["command"] = line });
        }
        output.Set("history", json);
        return Task.CompletedTask;
    }
}
