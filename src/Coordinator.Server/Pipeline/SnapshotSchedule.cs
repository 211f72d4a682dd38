// When the server loop snapshots: ZooKeeper's spacing between snapshots, and a due one kept until the snapshotter is free.
using Coordinator.StateMachine;

namespace Coordinator.Server.Pipeline;

/// <summary>
/// ZooKeeper snapshots after snapCount/2 plus a random share of snapCount/2 txns, so the servers of an ensemble
/// do not all snapshot at once. A snapshot that comes due while the previous one is still being taken or written
/// waits for the next apply or tick that finds the snapshotter free: delayed, never dropped. Used on the loop only.
/// </summary>
internal sealed class SnapshotSchedule
{
    private readonly ISnapshotter _snapshotter;
    private readonly int _snapCount;
    private readonly Random _random;
    private long _txnsSince;
    private long _txnsUntil;
    private bool _due;

    public SnapshotSchedule(ISnapshotter snapshotter, int snapCount, Random random)
    {
        _snapshotter = snapshotter;
        _snapCount = snapCount;
        _random = random;
        _txnsUntil = NextDistance();
    }

    /// <summary>Counts one applied txn.</summary>
    public void Applied()
    {
        if (_due || ++_txnsSince < _txnsUntil) return;
        _due = true;
        _txnsSince = 0;
        _txnsUntil = NextDistance();
    }

    /// <summary>Starts the snapshot that is due, if the snapshotter is free; true when one started.</summary>
    public bool StartIfDue(DataTree tree, Action wake)
    {
        if (!_due || !_snapshotter.TryStartSnapshot(tree, wake)) return false;
        _due = false;
        return true;
    }

    /// <summary>Takes the next share of the snapshot in progress, if any.</summary>
    public void Continue() => _snapshotter.ContinueSnapshot();

    private long NextDistance() => _snapCount / 2 + _random.NextInt64(Math.Max(1, _snapCount / 2));
}
