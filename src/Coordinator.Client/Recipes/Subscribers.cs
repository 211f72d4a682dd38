// Fan-out of a recipe's changes to async-stream readers, each with its own bounded queue.
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Coordinator.Client.Recipes;

internal sealed class Subscribers<T>
{
    private readonly List<Channel<T>> _channels = [];
    private bool _completed;

    /// <summary>
    /// Subscribes now (not at the first MoveNextAsync), so nothing published after the call is missed. With
    /// <paramref name="capacity"/> 1 a slow reader sees only the latest value; larger queues drop the oldest.
    /// </summary>
    public IAsyncEnumerable<T> Subscribe(int capacity, Func<T>? current, CancellationToken cancellation)
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_channels)
        {
            if (current is not null) channel.Writer.TryWrite(current());
            if (_completed) channel.Writer.TryComplete();
            else _channels.Add(channel);
        }
        return ReadAsync(channel, cancellation);
    }

    private async IAsyncEnumerable<T> ReadAsync(Channel<T> channel, [EnumeratorCancellation] CancellationToken cancellation)
    {
        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(cancellation).ConfigureAwait(false)) yield return item;
        }
        finally
        {
            lock (_channels) _channels.Remove(channel);
        }
    }

    public void Publish(T item)
    {
        lock (_channels)
            foreach (var c in _channels) c.Writer.TryWrite(item);
    }

    public void Complete()
    {
        lock (_channels)
        {
            _completed = true;
            foreach (var c in _channels) c.Writer.TryComplete();
            _channels.Clear();
        }
    }
}
