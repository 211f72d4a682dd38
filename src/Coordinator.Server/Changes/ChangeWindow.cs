// The bounded window of recent committed znode changes, and the live subscriptions fed from it (resumable gRPC watches).
using System.Threading.Channels;
using Coordinator.Core;
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Server.Changes;

/// <summary>
/// Lives on the server loop: the tree reports each change as it applies a txn (<see cref="Record"/>), the window
/// keeps the last <see cref="Capacity"/> of them and hands each to the subscriptions that match it. Subscribing
/// also runs on the loop, so the backlog a subscriber gets and the live changes that follow meet exactly at the
/// zxid the tree had then: no gap, no duplicate. Every change after <see cref="FloorZxid"/> is still held.
/// </summary>
public sealed class ChangeWindow
{
    /// <summary>Live subscriptions (watch streams) a node serves at most; more are refused.</summary>
    public const int SubscriptionsMax = 10_000;

    private readonly NodeChange[] _ring;
    private readonly List<ChangeSubscription> _subscriptions = [];
    private readonly Func<long, IReadOnlyList<Acl>, bool> _mayRead;
    private int _start;
    private int _count;
    private long _floorZxid;
    private int _subscriptionCount;

    /// <param name="capacity">Changes kept (grpc.watchWindow); 0 keeps none, so only live watches work.</param>
    /// <param name="lastZxid">The tree's zxid at start: nothing before it is held.</param>
    /// <param name="mayRead">Whether a session may READ a node with this ACL; events it may not read are left out.</param>
    public ChangeWindow(int capacity, long lastZxid, Func<long, IReadOnlyList<Acl>, bool> mayRead)
    {
        _ring = new NodeChange[capacity];
        _floorZxid = lastZxid;
        _mayRead = mayRead;
    }

    public int Capacity => _ring.Length;

    /// <summary>Changes held now; read by metrics threads.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Every change with a zxid above this is held; a watch may resume from this zxid or later. Read by metrics threads.</summary>
    public long FloorZxid => Volatile.Read(ref _floorZxid);

    /// <summary>Subscriptions registered and not yet pruned; read by metrics threads.</summary>
    public int SubscriptionCount => Volatile.Read(ref _subscriptionCount);

    /// <summary>Called by the tree on the loop for each change, in apply order.</summary>
    public void Record(NodeChange change)
    {
        if (_ring.Length > 0)
        {
            if (_count == _ring.Length)
            {
                // The oldest change leaves; from now on a resume must start at or after its zxid.
                Volatile.Write(ref _floorZxid, Math.Max(_floorZxid, _ring[_start].Zxid));
                _ring[_start] = change;
                _start = (_start + 1) % _ring.Length;
            }
            else
            {
                _ring[(_start + _count) % _ring.Length] = change;
                Volatile.Write(ref _count, _count + 1);
            }
        }
        else
        {
            Volatile.Write(ref _floorZxid, change.Zxid);
        }
        if (_subscriptions.Count > 0) Deliver(change);
    }

    private void Deliver(NodeChange change)
    {
        bool anyEnded = false;
        foreach (var s in _subscriptions)
        {
            if (s.Ended) { anyEnded = true; continue; }
            if (!s.Matches(change) || !_mayRead(s.SessionId, change.Acl)) continue;
            if (!s.TryPush(change)) anyEnded = true;
        }
        if (anyEnded) Prune();
    }

    /// <summary>On the loop: forgets subscriptions whose streams have ended (also done as changes are delivered).</summary>
    public void Prune()
    {
        _subscriptions.RemoveAll(s => s.Ended);
        Volatile.Write(ref _subscriptionCount, _subscriptions.Count);
    }

    /// <summary>
    /// Registers a subscription (on the loop). With <paramref name="startZxid"/>, the held changes after it that
    /// match are returned as the backlog; a start below <see cref="FloorZxid"/> or above <paramref name="lastZxid"/>
    /// is refused with <see cref="SubscribeResult.OutOfRange"/> and nothing is registered.
    /// </summary>
    public SubscribeResult Subscribe(ChangeSubscription subscription, long? startZxid, long lastZxid)
    {
        Prune();
        if (startZxid is long start && (start < _floorZxid || start > lastZxid))
            return new SubscribeResult(SubscribeOutcome.OutOfRange, [], lastZxid, _floorZxid);
        if (_subscriptions.Count >= SubscriptionsMax)
            return new SubscribeResult(SubscribeOutcome.TooMany, [], lastZxid, _floorZxid);
        var backlog = new List<NodeChange>();
        if (startZxid is long from)
        {
            for (int i = 0; i < _count; i++)
            {
                var c = _ring[(_start + i) % _ring.Length];
                if (c.Zxid > from && subscription.Matches(c) && _mayRead(subscription.SessionId, c.Acl)) backlog.Add(c);
            }
        }
        _subscriptions.Add(subscription);
        Volatile.Write(ref _subscriptionCount, _subscriptions.Count);
        return new SubscribeResult(SubscribeOutcome.Subscribed, backlog, lastZxid, _floorZxid);
    }
}

public enum SubscribeOutcome { Subscribed, OutOfRange, TooMany }

/// <param name="Backlog">Held changes after the start zxid, oldest first; live ones follow on the subscription.</param>
/// <param name="LastZxid">The tree's zxid at subscription: live changes all have larger zxids.</param>
public sealed record SubscribeResult(SubscribeOutcome Outcome, IReadOnlyList<NodeChange> Backlog, long LastZxid, long FloorZxid);

/// <summary>
/// One watch stream's view of the window: what it matches and a bounded buffer of live changes. A reader too
/// slow to keep the buffer from filling is ended (<see cref="Overflowed"/>) rather than buffered without bound.
/// </summary>
public sealed class ChangeSubscription
{
    private readonly Channel<NodeChange> _buffer;
    private volatile bool _ended;

    /// <param name="bufferMax">Live changes buffered for the reader (grpc.watchBuffer).</param>
    public ChangeSubscription(long sessionId, string path, bool recursive, int bufferMax)
    {
        SessionId = sessionId;
        Path = path;
        Recursive = recursive;
        _buffer = Channel.CreateBounded<NodeChange>(new BoundedChannelOptions(bufferMax)
        {
            SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public long SessionId { get; }
    public string Path { get; }
    public bool Recursive { get; }

    /// <summary>True once the buffer filled up: the stream must end with RESOURCE_EXHAUSTED.</summary>
    public bool Overflowed { get; private set; }

    public bool Ended => _ended;

    public ChannelReader<NodeChange> Reader => _buffer.Reader;

    /// <summary>
    /// Exact path: its own created, deleted and data changes plus NodeChildrenChanged (a persistent watch).
    /// Recursive: the path and every descendant, without children events (a persistent recursive watch).
    /// </summary>
    public bool Matches(NodeChange c)
    {
        if (!Recursive) return c.Path == Path;
        if (c.Type == EventType.NodeChildrenChanged) return false;
        if (c.Path == Path) return true;
        return Path == "/" ? c.Path.StartsWith('/') : c.Path.Length > Path.Length && c.Path[Path.Length] == '/' && c.Path.StartsWith(Path, StringComparison.Ordinal);
    }

    /// <summary>On the loop: buffers one change, or ends the subscription when the buffer is full.</summary>
    internal bool TryPush(NodeChange change)
    {
        if (_buffer.Writer.TryWrite(change)) return true;
        Overflowed = true;
        End();
        return false;
    }

    /// <summary>Stops deliveries (stream finished, session closed, buffer full); the reader drains what is buffered.</summary>
    public void End()
    {
        _ended = true;
        _buffer.Writer.TryComplete();
    }
}
