// listquota path: the path's limits and the usage the server counts for it.
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class ListQuotaCommand : ShellCommand
{
    public override string Name => "listquota";
    public override string Usage => "listquota path";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        QuotaLimits.CheckPath(path);
        var client = session.RequireClient();
        output.Line("absolute path is " + QuotaLimits.LimitsPath(path));
        output.Set("path", path);
        string? limits = await QuotaLimits.ReadTextAsync(client, QuotaLimits.LimitsPath(path), cancellation).ConfigureAwait(false);
        if (limits is null)
        {
            output.Line($"quota for {path} does not exist.");
            output.Set("quota", null);
            return;
        }
        output.Line($"Output quota for {path} {limits}");
        output.Set("quota", limits);
        string? stats = await QuotaLimits.ReadTextAsync(client, QuotaLimits.StatsPath(path), cancellation).ConfigureAwait(false);
        if (stats is not null) output.Line($"Output stat for {path} {stats}");
        output.Set("stats", stats);
    }
}
