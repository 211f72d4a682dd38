// Leader election: the participant with the lowest ephemeral-sequential node leads; loss of that node is signalled.
using System.Text;
using Coordinator.Core;
using Coordinator.Client.Connection;

namespace Coordinator.Client.Recipes;

/// <summary>
/// One participant in the election at <see cref="Path"/>. Call <see cref="WaitForLeadershipAsync"/> to stand; it
/// returns when this participant leads. Leadership ends when the returned <see cref="Leadership"/> is disposed
/// (resign), or is lost when the session expires or the client closes: <see cref="Leadership.Lost"/> fires and
/// <see cref="LeadershipLost"/> is raised. After a loss, call <see cref="WaitForLeadershipAsync"/> again to stand again.
/// </summary>
public sealed class LeaderElection : IAsyncDisposable
{
    private const string NodePrefix = "n-";
    private readonly CoordinatorClient _client;
    private readonly SemaphoreSlim _standing = new(1, 1);
    private string? _node;
    private Leadership? _leadership;
    private volatile bool _disposed;

    public LeaderElection(CoordinatorClient client, string path, string participantId)
    {
        ArgumentNullException.ThrowIfNull(client);
        Requests.Validate(path);
        ArgumentException.ThrowIfNullOrEmpty(participantId);
        _client = client;
        Path = path;
        ParticipantId = participantId;
    }

    public string Path { get; }

    public string ParticipantId { get; }

    public bool IsLeader => _leadership is { IsLost: false, IsResigned: false };

    /// <summary>Raised (on the client's event thread) when leadership is lost rather than resigned.</summary>
    public event EventHandler? LeadershipLost;

    /// <summary>Joins the election (if not already queued) and waits until this participant leads.</summary>
    public async Task<Leadership> WaitForLeadershipAsync(CancellationToken cancellation = default)
    {
        await _standing.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            if (IsLeader) return _leadership!;
            byte[] id = Encoding.UTF8.GetBytes(ParticipantId);
            while (true)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _node ??= await RecipeSupport.CreateProtectedAsync(_client, Path, NodePrefix, id, cancellation).ConfigureAwait(false);
                try
                {
                    await SequentialQueue.WaitUntilFirstAsync(_client, Path, NodePrefix, _node, cancellation).ConfigureAwait(false);
                }
                catch (NoNodeException)
                {
                    // Our node went with an expired session: queue again on the new one.
                    _node = null;
                    continue;
                }
                var owned = await OwnedNode.WatchAsync(_client, _node, cancellation).ConfigureAwait(false);
                if (owned.IsLost)
                {
                    _node = null;
                    continue;
                }
                var leadership = new Leadership(owned, this);
                owned.LostSignal += () => OnLost(leadership);
                _leadership = leadership;
                ClientLog.RecipeInfo(_client.Logger, nameof(LeaderElection), Path, ParticipantId + " leads");
                return leadership;
            }
        }
        catch (OperationCanceledException)
        {
            await LeaveQueueAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            _standing.Release();
        }
    }

    private void OnLost(Leadership leadership)
    {
        if (!ReferenceEquals(_leadership, leadership)) return;
        _node = null;
        ClientLog.RecipeProblem(_client.Logger, nameof(LeaderElection), Path, ParticipantId + " lost leadership");
        LeadershipLost?.Invoke(this, EventArgs.Empty);
    }

    internal async ValueTask ResignAsync(Leadership leadership, OwnedNode node)
    {
        await node.ReleaseAsync().ConfigureAwait(false);
        if (ReferenceEquals(_leadership, leadership))
        {
            _leadership = null;
            _node = null;
        }
    }

    private async Task LeaveQueueAsync()
    {
        if (_node is { } node && _leadership is null)
        {
            _node = null;
            await RecipeSupport.DeleteQuietlyAsync(_client, node).ConfigureAwait(false);
        }
    }

    /// <summary>The current leader's participant id, or null when nobody stands.</summary>
    public async Task<string?> GetLeaderIdAsync(CancellationToken cancellation = default) =>
        (await GetParticipantsAsync(cancellation).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>Every participant's id in queue order: the leader first, then who succeeds it.</summary>
    public async Task<IReadOnlyList<string>> GetParticipantsAsync(CancellationToken cancellation = default)
    {
        IReadOnlyList<string> children;
        try
        {
            children = (await _client.GetChildrenAsync(Path, cancellation).ConfigureAwait(false)).Children;
        }
        catch (NoNodeException)
        {
            return [];
        }
        var ids = new List<string>();
        foreach (string child in RecipeSupport.SortedBySequence(children, NodePrefix))
        {
            try
            {
                ids.Add(Encoding.UTF8.GetString((await _client.GetDataAsync(PathValidation.Join(Path, child), cancellation).ConfigureAwait(false)).Data));
            }
            catch (NoNodeException)
            {
                // Left between the listing and the read.
            }
        }
        return ids;
    }

    /// <summary>Resigns (or leaves the queue) and stops taking part.</summary>
    public async ValueTask DisposeAsync()
    {
        // A wait still queued sees its node vanish and, seeing this flag, stops instead of standing again.
        _disposed = true;
        if (_leadership is { } leadership) await leadership.DisposeAsync().ConfigureAwait(false);
        await LeaveQueueAsync().ConfigureAwait(false);
    }
}

/// <summary>Held leadership. Dispose to resign; <see cref="Lost"/> fires when it is taken away.</summary>
public sealed class Leadership : IAsyncDisposable
{
    private readonly OwnedNode _node;
    private readonly LeaderElection _election;

    internal Leadership(OwnedNode node, LeaderElection election)
    {
        _node = node;
        _election = election;
    }

    /// <summary>Cancelled when leadership is lost: the leader must stop acting as leader.</summary>
    public CancellationToken Lost => _node.Lost;

    public bool IsLost => _node.IsLost;

    internal bool IsResigned { get; private set; }

    public string NodePath => _node.Path;

    public async ValueTask DisposeAsync()
    {
        if (IsResigned) return;
        IsResigned = true;
        await _election.ResignAsync(this, _node).ConfigureAwait(false);
    }
}
