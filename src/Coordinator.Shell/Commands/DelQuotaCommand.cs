// delquota [-n|-b|-N|-B] path: clears one limit, or without an option removes the path's quota entirely.
using System.Text;
using Coordinator.Client;
using Coordinator.Shell.Output;

namespace Coordinator.Shell.Commands;

internal sealed class DelQuotaCommand : ShellCommand
{
    public override string Name => "delquota";
    public override string Usage => "delquota [-n|-b|-N|-B] path";
    public override string Flags => "nbNB";

    public override async Task ExecuteAsync(ShellSession session, CommandArgs args, CommandOutput output, CancellationToken cancellation)
    {
        string path = PathArg(args);
        QuotaLimits.CheckPath(path);
        var client = session.RequireClient();
        string? existing = await QuotaLimits.ReadTextAsync(client, QuotaLimits.LimitsPath(path), cancellation).ConfigureAwait(false);
        if (existing is null) throw new ShellException("Quota does not exist for " + path, "NoNode");
        output.Set("path", path);
        char option = "nbNB".FirstOrDefault(args.Has);
        if (option != default)
        {
            var limits = QuotaLimits.Parse(existing);
            limits = option switch
            {
                'n' => limits with { Count = -1 },
                'b' => limits with { Bytes = -1 },
                'N' => limits with { CountHard = -1 },
                _ => limits with { BytesHard = -1 },
            };
            await client.SetDataAsync(QuotaLimits.LimitsPath(path), Encoding.UTF8.GetBytes(limits.ToString()), -1, cancellation).ConfigureAwait(false);
            output.Set("limits", limits.ToString());
            return;
        }
        await DeleteIfPresentAsync(client, QuotaLimits.LimitsPath(path), cancellation).ConfigureAwait(false);
        await DeleteIfPresentAsync(client, QuotaLimits.StatsPath(path), cancellation).ConfigureAwait(false);
        // Remove quota directory nodes left empty, up to (not including) /zookeeper/quota.
        for (string node = QuotaLimits.QuotaPath(path); node.Length > QuotaLimits.QuotaRoot.Length; node = Core.PathValidation.Parent(node))
        {
            var children = await client.GetChildrenAsync(node, cancellation).ConfigureAwait(false);
            if (children.Children.Count > 0) break;
            await DeleteIfPresentAsync(client, node, cancellation).ConfigureAwait(false);
        }
        output.Set("deleted", true);
    }

    private static async Task DeleteIfPresentAsync(CoordinatorClient client, string path, CancellationToken cancellation)
    {
        try
        {
            await client.DeleteAsync(path, -1, cancellation).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
        }
    }
}
