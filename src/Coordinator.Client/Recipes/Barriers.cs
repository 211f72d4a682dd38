// Barrier (wait while a node exists) and double barrier (enter together when N arrive, leave together when all finish).
using System.Text;
using Coordinator.Core;

namespace Coordinator.Client.Recipes;

/// <summary>A gate: while the node at <see cref="Path"/> exists, <see cref="WaitAsync"/> blocks; removing it lets everyone through.</summary>
public sealed class DistributedBarrier
{
    private readonly CoordinatorClient _client;

    public DistributedBarrier(CoordinatorClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        Requests.Validate(path);
        _client = client;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Raises the barrier (idempotent).</summary>
    public async Task SetAsync(CancellationToken cancellation = default)
    {
        try
        {
            await RecipeSupport.RetryAsync(_client, ct => _client.CreateRecursiveAsync(Path, null, CreateMode.Persistent, ct), cancellation).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
        }
    }

    /// <summary>Lowers the barrier (idempotent), releasing every waiter.</summary>
    public async Task RemoveAsync(CancellationToken cancellation = default)
    {
        try
        {
            await RecipeSupport.RetryAsync(_client, ct => _client.DeleteAsync(Path, -1, ct), cancellation).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
        }
    }

    /// <summary>Returns once the barrier is down (at once if it is not set).</summary>
    public async Task WaitAsync(CancellationToken cancellation = default)
    {
        while (true)
        {
            var (stat, changed) = await RecipeSupport.RetryAsync(_client, ct => _client.ExistsAndWatchAsync(Path, ct), cancellation).ConfigureAwait(false);
            if (stat is null) return;
            await changed.WaitAsync(cancellation).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Members enter together once <see cref="MemberCount"/> of them have arrived, and leave together once all are done.
/// Each member is an ephemeral node under <see cref="Path"/>; the last to arrive creates a "ready" node that wakes the
/// rest with a single watch. Leaving follows the classic recipe: the lowest member waits for the highest, everyone
/// else removes itself and waits for the lowest, so each departure wakes at most one member.
/// </summary>
public sealed class DoubleBarrier
{
    private const string ReadyNode = "ready";
    private readonly CoordinatorClient _client;
    private readonly string _memberName;

    public DoubleBarrier(CoordinatorClient client, string path, int memberCount, string? memberId = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        Requests.Validate(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(memberCount, 1);
        _client = client;
        Path = path;
        MemberCount = memberCount;
        _memberName = "member-" + (memberId ?? Guid.NewGuid().ToString("N"));
        Requests.Validate(PathValidation.Join(path, _memberName));
    }

    public string Path { get; }

    public int MemberCount { get; }

    private string MemberPath => PathValidation.Join(Path, _memberName);

    private string ReadyPath => PathValidation.Join(Path, ReadyNode);

    /// <summary>Registers this member and waits until <see cref="MemberCount"/> members have entered.</summary>
    public async Task EnterAsync(CancellationToken cancellation = default)
    {
        // Watch "ready" before joining: if our arrival completes the count, someone creates it and we hear of it.
        var (ready, readyCreated) = await RecipeSupport.RetryAsync(_client, ct => _client.ExistsAndWatchAsync(ReadyPath, ct), cancellation).ConfigureAwait(false);
        try
        {
            await RecipeSupport.RetryAsync(_client, ct => _client.CreateRecursiveAsync(MemberPath, Encoding.UTF8.GetBytes(_memberName), CreateMode.Ephemeral, ct), cancellation).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
            // A retried create that had gone through.
        }
        if (ready is not null) return;
        var members = await MembersAsync(cancellation).ConfigureAwait(false);
        if (members.Count >= MemberCount)
        {
            try
            {
                await RecipeSupport.RetryAsync(_client, ct => _client.CreateAsync(ReadyPath, null, CreateMode.Persistent, ct), cancellation).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
            }
            return;
        }
        await readyCreated.WaitAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>Removes this member and waits until every member has left.</summary>
    public async Task LeaveAsync(CancellationToken cancellation = default)
    {
        while (true)
        {
            var members = await MembersAsync(cancellation).ConfigureAwait(false);
            if (members.Count == 0) break;
            if (members.Count == 1 && members[0] == _memberName)
            {
                await DeleteAsync(MemberPath, cancellation).ConfigureAwait(false);
                break;
            }
            string lowest = members[0];
            string highest = members[^1];
            string waitFor;
            if (lowest == _memberName)
            {
                waitFor = highest;
            }
            else
            {
                if (members.Contains(_memberName)) await DeleteAsync(MemberPath, cancellation).ConfigureAwait(false);
                waitFor = lowest;
            }
            var (stat, changed) = await RecipeSupport.RetryAsync(_client, ct => _client.ExistsAndWatchAsync(PathValidation.Join(Path, waitFor), ct), cancellation).ConfigureAwait(false);
            if (stat is not null) await changed.WaitAsync(cancellation).ConfigureAwait(false);
        }
        // Everyone is out: take "ready" down so the barrier can be used again.
        await DeleteAsync(ReadyPath, cancellation).ConfigureAwait(false);
    }

    private async Task<List<string>> MembersAsync(CancellationToken cancellation)
    {
        var children = (await RecipeSupport.RetryAsync(_client, ct => _client.GetChildrenAsync(Path, ct), cancellation).ConfigureAwait(false)).Children;
        var members = children.Where(c => c != ReadyNode).ToList();
        members.Sort(StringComparer.Ordinal);
        return members;
    }

    private async Task DeleteAsync(string path, CancellationToken cancellation)
    {
        try
        {
            await RecipeSupport.RetryAsync(_client, ct => _client.DeleteAsync(path, -1, ct), cancellation).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
        }
    }
}
