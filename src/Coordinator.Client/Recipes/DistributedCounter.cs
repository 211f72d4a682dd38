// A shared 64-bit counter: read, then a versioned setData (compare-and-set), retried until it wins.
using System.Buffers.Binary;
using Coordinator.Core;

namespace Coordinator.Client.Recipes;

/// <summary>
/// A counter at <see cref="Path"/>, stored as 8 big-endian bytes (the layout Curator's DistributedAtomicLong uses,
/// so both can share one). A missing node counts as 0. Every change is a setData conditioned on the version just
/// read, so concurrent adders never lose an update.
/// </summary>
public sealed class DistributedCounter
{
    /// <summary>Compare-and-set attempts before giving up; under fair contention each round lets one writer win.</summary>
    public const int AttemptsMax = 10_000;

    private readonly CoordinatorClient _client;

    public DistributedCounter(CoordinatorClient client, string path)
    {
        ArgumentNullException.ThrowIfNull(client);
        Requests.Validate(path);
        _client = client;
        Path = path;
    }

    public string Path { get; }

    public async Task<long> GetAsync(CancellationToken cancellation = default) => (await ReadAsync(cancellation).ConfigureAwait(false)).Value;

    public Task<long> IncrementAsync(CancellationToken cancellation = default) => AddAsync(1, cancellation);

    public Task<long> DecrementAsync(CancellationToken cancellation = default) => AddAsync(-1, cancellation);

    /// <summary>Adds <paramref name="delta"/> and returns the new value.</summary>
    public async Task<long> AddAsync(long delta, CancellationToken cancellation = default)
    {
        for (int attempt = 0; attempt < AttemptsMax; attempt++)
        {
            var (value, version) = await ReadAsync(cancellation).ConfigureAwait(false);
            long next = value + delta;
            if (await TryWriteAsync(version, next, cancellation).ConfigureAwait(false)) return next;
        }
        throw new InvalidOperationException($"counter {Path}: no compare-and-set won in {AttemptsMax} attempts");
    }

    /// <summary>Sets the value only if it is still <paramref name="expected"/>; returns whether it did.</summary>
    public async Task<bool> TrySetAsync(long expected, long value, CancellationToken cancellation = default)
    {
        var (current, version) = await ReadAsync(cancellation).ConfigureAwait(false);
        return current == expected && await TryWriteAsync(version, value, cancellation).ConfigureAwait(false);
    }

    /// <summary>The value and the node's version; version -1 means the node does not exist yet.</summary>
    private async Task<(long Value, int Version)> ReadAsync(CancellationToken cancellation)
    {
        try
        {
            var node = await RecipeSupport.RetryAsync(_client, ct => _client.GetDataAsync(Path, ct), cancellation).ConfigureAwait(false);
            return (Decode(node.Data), node.Stat.Version);
        }
        catch (NoNodeException)
        {
            return (0, -1);
        }
    }

    /// <summary>
    /// One compare-and-set. After a ConnectionLoss the outcome is unknown, so the node is read again: the write
    /// applied iff the node sits exactly one version on holding our value. (Another writer that produced the same value
    /// at that version, e.g. the same delta from the same base, would be mistaken for us: a lost update that needs a
    /// ConnectionLoss at exactly that moment. Exact-once counting under connection loss needs a multi with a marker.)
    /// </summary>
    private async Task<bool> TryWriteAsync(int version, long value, CancellationToken cancellation)
    {
        byte[] data = Encode(value);
        try
        {
            if (version == -1)
                await _client.CreateRecursiveAsync(Path, data, CreateMode.Persistent, cancellation).ConfigureAwait(false);
            else
                await _client.SetDataAsync(Path, data, version, cancellation).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is BadVersionException or NodeExistsException or NoNodeException)
        {
            return false;
        }
        catch (ConnectionLossException)
        {
            await _client.WaitForConnectedAsync(cancellation).ConfigureAwait(false);
            return await WentThroughAsync(version, value, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>After a lost reply: our write applied iff the node now sits one version on with our value.</summary>
    private async Task<bool> WentThroughAsync(int version, long value, CancellationToken cancellation)
    {
        try
        {
            var node = await RecipeSupport.RetryAsync(_client, ct => _client.GetDataAsync(Path, ct), cancellation).ConfigureAwait(false);
            return node.Stat.Version == version + 1 && Decode(node.Data) == value;
        }
        catch (NoNodeException)
        {
            return false;
        }
    }

    private static long Decode(byte[] data) => data.Length >= 8 ? BinaryPrimitives.ReadInt64BigEndian(data) : 0;

    private static byte[] Encode(long value)
    {
        byte[] data = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(data, value);
        return data;
    }
}
