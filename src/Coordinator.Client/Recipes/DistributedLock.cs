// A fair distributed lock: waiters queue as ephemeral-sequential nodes and each watches only its predecessor.
using Coordinator.Core;

namespace Coordinator.Client.Recipes;

/// <summary>
/// A mutual-exclusion lock shared by every client that uses the same <see cref="Path"/>. First come, first served;
/// a release wakes only the next waiter. Not reentrant: acquiring twice from one process queues twice.
/// </summary>
public sealed class DistributedLock
{
    private const string NodePrefix = "lock-";
    private readonly CoordinatorClient _client;

    public DistributedLock(CoordinatorClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        Requests.Validate(path);
        _client = client;
        Path = path;
    }

    public string Path { get; }

    /// <summary>
    /// Waits for the lock. Cancelling leaves the queue cleanly (our node is deleted). If the session expires while
    /// waiting, the place in line is gone with it; the wait continues from the back of the queue on the new session.
    /// </summary>
    public async Task<LockHandle> AcquireAsync(CancellationToken cancellation = default)
    {
        while (true)
        {
            string node = await RecipeSupport.CreateProtectedAsync(_client, Path, NodePrefix, null, cancellation).ConfigureAwait(false);
            try
            {
                await SequentialQueue.WaitUntilFirstAsync(_client, Path, NodePrefix, node, cancellation).ConfigureAwait(false);
                var owned = await OwnedNode.WatchAsync(_client, node, cancellation).ConfigureAwait(false);
                if (!owned.IsLost) return new LockHandle(owned);
            }
            catch (NoNodeException e) when (e.Path == node)
            {
            }
            catch
            {
                await RecipeSupport.DeleteQuietlyAsync(_client, node).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>The lock, or null if it could not be had within <paramref name="timeout"/>.</summary>
    public async Task<LockHandle?> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            return await AcquireAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>How many holders and waiters are queued.</summary>
    public async Task<int> GetQueueLengthAsync(CancellationToken cancellation = default)
    {
        try
        {
            var children = (await _client.GetChildrenAsync(Path, cancellation).ConfigureAwait(false)).Children;
            return children.Count(c => c.StartsWith(NodePrefix, StringComparison.Ordinal));
        }
        catch (NoNodeException)
        {
            return 0;
        }
    }
}

/// <summary>A held lock. Dispose to release it. <see cref="Lost"/> fires if it is taken away (session expired, client closed).</summary>
public sealed class LockHandle : IAsyncDisposable
{
    private readonly OwnedNode _node;

    internal LockHandle(OwnedNode node) => _node = node;

    /// <summary>The node that holds the lock, e.g. /locks/orders/lock-…-0000000007.</summary>
    public string NodePath => _node.Path;

    /// <summary>Cancelled when the lock is no longer held: stop the work it protects.</summary>
    public CancellationToken Lost => _node.Lost;

    public bool IsLost => _node.IsLost;

    public ValueTask DisposeAsync() => _node.ReleaseAsync();
}
