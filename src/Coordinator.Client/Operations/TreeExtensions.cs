// Conveniences over the raw operations: create with missing parents, delete a subtree, and a one-shot watch as a Task.
using Coordinator.Core;

namespace Coordinator.Client;

public static class TreeExtensions
{
    /// <summary>Creates every missing node on the way to <paramref name="path"/> (persistent, empty); existing ones are left alone.</summary>
    public static async Task EnsurePathAsync(this CoordinatorClient client, string path, CancellationToken cancellation = default)
    {
        Requests.Validate(path);
        if (path == "/" || await client.ExistsAsync(path, cancellation).ConfigureAwait(false) is not null) return;
        int at = 0;
        while (at >= 0)
        {
            at = path.IndexOf('/', at + 1);
            string prefix = at < 0 ? path : path[..at];
            try
            {
                await client.CreateAsync(prefix, null, CreateMode.Persistent, cancellation).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
                // Someone else (or an earlier attempt) made it: exactly what we wanted.
            }
        }
    }

    /// <summary>Creates the node, creating missing parents first (as persistent nodes) when the parent is absent.</summary>
    public static async Task<CreateResult> CreateRecursiveAsync(this CoordinatorClient client, string path, byte[]? data,
        CreateMode mode = CreateMode.Persistent, CancellationToken cancellation = default)
    {
        try
        {
            return await client.CreateAsync(path, data, mode, cancellation).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            await client.EnsurePathAsync(PathValidation.Parent(path), cancellation).ConfigureAwait(false);
            return await client.CreateAsync(path, data, mode, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the node and everything below it, deepest first; nodes that vanish meanwhile are fine.</summary>
    public static async Task DeleteRecursiveAsync(this CoordinatorClient client, string path, CancellationToken cancellation = default)
    {
        IReadOnlyList<string> children;
        try
        {
            children = (await client.GetChildrenAsync(path, cancellation).ConfigureAwait(false)).Children;
        }
        catch (NoNodeException)
        {
            return;
        }
        foreach (string child in children)
            await client.DeleteRecursiveAsync(PathValidation.Join(path, child), cancellation).ConfigureAwait(false);
        try
        {
            await client.DeleteAsync(path, -1, cancellation).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
        }
    }

    /// <summary>
    /// exists() with a one-shot watch, as a Task: <c>Stat</c> now, and <c>Changed</c> completing with the first event
    /// (including an Expired event if the session ends first).
    /// </summary>
    public static async Task<(Jute.Records.Stat? Stat, Task<WatchedEvent> Changed)> ExistsAndWatchAsync(this CoordinatorClient client, string path,
        CancellationToken cancellation = default)
    {
        var fired = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stat = await client.ExistsAsync(path, e => fired.TrySetResult(e), cancellation).ConfigureAwait(false);
        return (stat, fired.Task);
    }
}
