// Who is in the ensemble (voters and observers), what a quorum is, and the protocol's timeouts in ticks.
using Coordinator.Core;

namespace Coordinator.Consensus;

/// <summary>The static membership of an ensemble: the voters (participants) and the observers.</summary>
public sealed class QuorumConfig
{
    public QuorumConfig(IEnumerable<long> voters, IEnumerable<long>? observers = null)
    {
        Voters = new SortedSet<long>(voters);
        Observers = new SortedSet<long>(observers ?? []);
        if (Voters.Count == 0) throw new ArgumentException("an ensemble needs at least one voter");
        if (Voters.Overlaps(Observers)) throw new ArgumentException("a server is either a voter or an observer");
    }

    public IReadOnlySet<long> Voters { get; }
    public IReadOnlySet<long> Observers { get; }
    public IEnumerable<long> All => Voters.Concat(Observers);

    /// <summary>A strict majority of the voters.</summary>
    public int QuorumSize => Voters.Count / 2 + 1;

    public bool IsVoter(long id) => Voters.Contains(id);
    public bool IsObserver(long id) => Observers.Contains(id);
    public bool Contains(long id) => IsVoter(id) || IsObserver(id);

    /// <summary>True when the voters among <paramref name="ids"/> (duplicates and observers ignored) are a majority.</summary>
    public bool IsQuorum(IEnumerable<long> ids) => ids.Where(IsVoter).Distinct().Count() >= QuorumSize;
}

/// <summary>Timeouts and bounds of the protocol. Time is counted in ticks, as zoo.cfg counts initLimit and syncLimit.</summary>
public sealed record ZabSettings
{
    /// <summary>Ticks a new leader has to get a quorum synced, and a learner to finish syncing (zoo.cfg initLimit).</summary>
    public int InitLimitTicks { get; init; } = 10;

    /// <summary>Ticks without hearing from a quorum (leader) or the leader (learner) before giving up (zoo.cfg syncLimit).</summary>
    public int SyncLimitTicks { get; init; } = 5;

    /// <summary>Ticks between re-sends of the current vote while looking (messages may be lost).</summary>
    public int ElectionRetryTicks { get; init; } = 1;

    /// <summary>Ticks a learner waits for the next step of its handshake before starting it again.</summary>
    public int HandshakeRetryTicks { get; init; } = 5;

    /// <summary>Proposals a leader lets wait for their quorum before it refuses new ones (back-pressure, habit 8).</summary>
    public int OutstandingProposalsMax { get; init; } = 1000;

    /// <summary>Applied txns kept in memory past the applied point, so a lagging learner gets a DIFF instead of a SNAP.</summary>
    public int CommittedLogMax { get; init; } = 500;

    /// <summary>
    /// The highest counter a leader hands out in one epoch; the next proposal forces a new epoch by re-election
    /// (ZooKeeper's 0xfffffffe, so the counter never wraps into the epoch). Tests lower it to reach rollover.
    /// </summary>
    public uint ZxidCounterMax { get; init; } = 0xfffffffe;

    public void Validate()
    {
        if (InitLimitTicks < 1 || SyncLimitTicks < 1 || ElectionRetryTicks < 1 || HandshakeRetryTicks < 1)
            throw new ArgumentException("ZAB tick limits must be positive");
        if (ZxidCounterMax is 0 or > 0xfffffffe) throw new ArgumentException("ZxidCounterMax must be in 1..0xfffffffe");
        if (OutstandingProposalsMax < 1) throw new ArgumentException("OutstandingProposalsMax must be positive");
        if (CommittedLogMax < 0) throw new ArgumentException("CommittedLogMax must not be negative");
    }
}

/// <summary>What a node keeps on disk for ZAB, handed to the core at start (restart after a crash).</summary>
/// <param name="AcceptedEpoch">The newest epoch this node acknowledged in discovery (ZooKeeper's acceptedEpoch file).</param>
/// <param name="CurrentEpoch">The epoch of the newest history this node took in sync (ZooKeeper's currentEpoch file).</param>
/// <param name="SnapshotZxid">The zxid the host's state machine is at: its newest snapshot. Everything at or below it is committed.</param>
/// <param name="Log">The durable txn log after <paramref name="SnapshotZxid"/>, in zxid order. Not known to be committed.</param>
public sealed record DurableState(int AcceptedEpoch, int CurrentEpoch, Zxid SnapshotZxid, IReadOnlyList<LoggedTxn> Log)
{
    public static readonly DurableState Empty = new(0, 0, Zxid.Zero, []);
}
