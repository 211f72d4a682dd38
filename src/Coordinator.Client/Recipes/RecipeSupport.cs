// Shared by the recipes: retrying through connection loss, sequential-node ordering, and finding our own node again.
using Coordinator.Core;

namespace Coordinator.Client.Recipes;

internal static class RecipeSupport
{
    /// <summary>
    /// Runs <paramref name="operation"/> until it completes without ConnectionLoss, waiting for the session to come
    /// back between tries. Only for operations that are safe to repeat (reads, deletes by path, creates that check).
    /// </summary>
    public static async Task<T> RetryAsync<T>(CoordinatorClient client, Func<CancellationToken, Task<T>> operation, CancellationToken cancellation)
    {
        while (true)
        {
            try
            {
                return await operation(cancellation).ConfigureAwait(false);
            }
            catch (ConnectionLossException)
            {
                await client.WaitForConnectedAsync(cancellation).ConfigureAwait(false);
            }
        }
    }

    public static Task RetryAsync(CoordinatorClient client, Func<CancellationToken, Task> operation, CancellationToken cancellation) =>
        RetryAsync(client, async ct =>
        {
            await operation(ct).ConfigureAwait(false);
            return true;
        }, cancellation);

    /// <summary>The 10-digit suffix the server appends to sequential nodes; names without one sort last.</summary>
    public static long Sequence(string name)
    {
        if (name.Length < Limits.SequenceDigits) return long.MaxValue;
        return long.TryParse(name.AsSpan(name.Length - Limits.SequenceDigits), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out long sequence) ? sequence : long.MaxValue;
    }

    /// <summary>Children that start with <paramref name="prefix"/>, in sequence order (the queue order of lock and election).</summary>
    public static List<string> SortedBySequence(IReadOnlyList<string> children, string prefix) =>
        children.Where(c => c.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(Sequence).ThenBy(c => c, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Creates an ephemeral-sequential node whose name carries a fresh GUID, so that after a ConnectionLoss (create
    /// possibly applied, reply lost) the node can be found again by that GUID instead of leaking a duplicate.
    /// Returns the node's full path.
    /// </summary>
    public static async Task<string> CreateProtectedAsync(CoordinatorClient client, string parent, string prefix, byte[]? data, CancellationToken cancellation)
    {
        string marker = prefix + Guid.NewGuid().ToString("N") + "-";
        while (true)
        {
            try
            {
                var created = await client.CreateAsync(PathValidation.Join(parent, marker), data, CreateMode.EphemeralSequential, cancellation).ConfigureAwait(false);
                return created.Path;
            }
            catch (NoNodeException)
            {
                await client.EnsurePathAsync(parent, cancellation).ConfigureAwait(false);
            }
            catch (ConnectionLossException)
            {
                await client.WaitForConnectedAsync(cancellation).ConfigureAwait(false);
                var children = (await RetryAsync(client, ct => client.GetChildrenAsync(parent, ct), cancellation).ConfigureAwait(false)).Children;
                string? mine = children.FirstOrDefault(c => c.StartsWith(marker, StringComparison.Ordinal));
                if (mine is not null) return PathValidation.Join(parent, mine);
            }
        }
    }

    /// <summary>Deletes a node we own, ignoring that it is already gone; used when giving up or releasing.</summary>
    public static async Task DeleteQuietlyAsync(CoordinatorClient client, string path)
    {
        try
        {
            using var cts = new CancellationTokenSource(client.SessionTimeout);
            await RetryAsync(client, ct => client.DeleteAsync(path, -1, ct), cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NoNodeException or SessionExpiredException or ObjectDisposedException or OperationCanceledException)
        {
            // Gone already, or it goes with the session.
        }
    }
}
