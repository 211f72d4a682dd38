// setquota -n|-b|-N|-B val path: sets one limit of the path's quota (count or bytes, soft or hard).
using System.Text;
using Coordinator.Client;
using Coordinator.Core;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class SetQuotaCommand : ShellCommand
{
    public override string Name => "setquota";
    public override string Usage => "setquota -n|-b|-N|-B val path";
    public override string ValuedOptions => "nbNB";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        QuotaLimits.CheckPath(path);
        char option = "nbNB".FirstOrDefault(args.Has);
        if (option == default)
            throw new ShellException("Missing required option: [-n num soft quota, -b bytes soft quota, -N num hard quota, -B bytes hard quota]", "BadArguments");
        long value = LongOption(args, option, -1);
        var client = session.RequireClient();
        if (await client.ExistsAsync(path, cancellation).ConfigureAwait(false) is null)
            throw new ShellException(path + " does not exist.", "NoNode");
        foreach (string ancestor in QuotaLimits.Ancestors(path))
        {
            if (await client.ExistsAsync(QuotaLimits.LimitsPath(ancestor), cancellation).ConfigureAwait(false) is not null)
                throw new ShellException($"{path} has a parent {ancestor} which has a quota", "BadArguments");
        }
        if (await FindQuotaBelowAsync(client, QuotaLimits.QuotaPath(path), cancellation).ConfigureAwait(false) is { } child)
            throw new ShellException($"{path} has child {child} which has a quota", "BadArguments");

        string? existing = await QuotaLimits.ReadTextAsync(client, QuotaLimits.LimitsPath(path), cancellation).ConfigureAwait(false);
        var limits = existing is null ? QuotaLimits.None : QuotaLimits.Parse(existing);
        limits = option switch
        {
            'n' => limits with { Count = value },
            'b' => limits with { Bytes = value },
            'N' => limits with { CountHard = value },
            _ => limits with { BytesHard = value },
        };
        byte[] data = Encoding.UTF8.GetBytes(limits.ToString());
        if (existing is null)
        {
            await client.EnsurePathAsync(QuotaLimits.QuotaPath(path), cancellation).ConfigureAwait(false);
            await client.CreateAsync(QuotaLimits.LimitsPath(path), data, CreateMode.Persistent, cancellation).ConfigureAwait(false);
            // The server fills the stats node with the subtree's current count and bytes when it is created.
            await client.CreateAsync(QuotaLimits.StatsPath(path), Encoding.UTF8.GetBytes("count=0,bytes=0"), CreateMode.Persistent, cancellation).ConfigureAwait(false);
        }
        else
        {
            await client.SetDataAsync(QuotaLimits.LimitsPath(path), data, -1, cancellation).ConfigureAwait(false);
        }
        await WarnIfBelowUsageAsync(client, path, option, value, output, cancellation).ConfigureAwait(false);
        output.Set("path", path);
        output.Set("limits", limits.ToString());
    }

    private static async Task WarnIfBelowUsageAsync(CoordinatorClient client, string path, char option, long value, CommandOutput output,
        CancellationToken cancellation)
    {
        if (value < 0 || await QuotaLimits.ReadTextAsync(client, QuotaLimits.StatsPath(path), cancellation).ConfigureAwait(false) is not { } stats) return;
        var usage = QuotaLimits.StatsFields(stats);
        bool isCount = option is 'n' or 'N';
        long used = usage.GetValueOrDefault(isCount ? "count" : "bytes", 0);
        if (value < used)
            output.Line($"[Warning]: the {(isCount ? "count" : "bytes")} quota you create is less than the existing {(isCount ? "count" : "bytes")}:{used}");
    }

    /// <summary>The first node below the quota node that has limits of its own (depth-first, bounded).</summary>
    private static async Task<string?> FindQuotaBelowAsync(CoordinatorClient client, string quotaPath, CancellationToken cancellation)
    {
        var stack = new Stack<string>([quotaPath]);
        int visited = 0;
        while (stack.TryPop(out string? next) && visited++ < LsCommand.RecursiveNodesMax)
        {
            IReadOnlyList<string> children;
            try
            {
                children = (await client.GetChildrenAsync(next, cancellation).ConfigureAwait(false)).Children;
            }
            catch (NoNodeException)
            {
                continue;
            }
            foreach (string child in children)
            {
                if (child == QuotaLimits.LimitsNode && next != quotaPath) return next[QuotaLimits.QuotaRoot.Length..];
                if (child is not (QuotaLimits.LimitsNode or QuotaLimits.StatsNode)) stack.Push(next + "/" + child);
            }
        }
        return null;
    }
}
