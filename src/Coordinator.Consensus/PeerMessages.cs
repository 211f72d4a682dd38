// The messages ZAB peers exchange: election notifications, the learner handshake (discovery and sync), and broadcast.
using Coordinator.Core;

namespace Coordinator.Consensus;

/// <summary>A server's state as ZooKeeper names it; a notification carries the sender's.</summary>
public enum PeerState : byte
{
    Looking = 0,
    Following = 1,
    Leading = 2,
    Observing = 3,
}

/// <summary>A txn as ZAB moves it: its zxid and the host's opaque payload (the server puts a jute txn there).</summary>
public sealed record LoggedTxn(Zxid Zxid, byte[] Payload);

/// <summary>
/// A vote in fast leader election. Votes are ordered by the candidate's epoch, then its last zxid, then its id:
/// the most recent history wins and ties go to the higher server id.
/// </summary>
public readonly record struct Vote(long Leader, Zxid Zxid, int PeerEpoch) : IComparable<Vote>
{
    public int CompareTo(Vote other)
    {
        int c = PeerEpoch.CompareTo(other.PeerEpoch);
        if (c != 0) return c;
        c = Zxid.CompareTo(other.Zxid);
        return c != 0 ? c : Leader.CompareTo(other.Leader);
    }

    public static bool operator >(Vote a, Vote b) => a.CompareTo(b) > 0;
    public static bool operator <(Vote a, Vote b) => a.CompareTo(b) < 0;
    public static bool operator >=(Vote a, Vote b) => a.CompareTo(b) >= 0;
    public static bool operator <=(Vote a, Vote b) => a.CompareTo(b) <= 0;

    public static Vote Max(Vote a, Vote b) => a >= b ? a : b;
}

/// <summary>How a leader brings a learner up to date.</summary>
public enum SyncMode : byte
{
    /// <summary>The learner's last zxid is in the leader's history: send what follows it.</summary>
    Diff = 1,
    /// <summary>The learner has txns the leader does not: cut them back to a common zxid, then send what follows.</summary>
    Trunc = 2,
    /// <summary>No common point the leader can prove: send the whole committed state, then what follows.</summary>
    Snap = 3,
}

public abstract record PeerMessage;

/// <summary>Fast leader election: the sender's current vote, its election round and its own state.</summary>
public sealed record Notification(Vote Vote, long Round, PeerState State) : PeerMessage;

/// <summary>Learner → leader, opens a handshake (ZooKeeper's FOLLOWERINFO / OBSERVERINFO).</summary>
public sealed record FollowerInfo(int AcceptedEpoch, Zxid LastZxid, long Handshake, bool IsObserver) : PeerMessage;

/// <summary>Leader → learner: the epoch the leader proposes (LEADERINFO).</summary>
public sealed record LeaderInfo(int NewEpoch, long Handshake) : PeerMessage;

/// <summary>
/// Learner → leader (ACKEPOCH): the learner's history (last and applied zxid), and whether this LeaderInfo raised its accepted epoch.
/// Only fresh acks count toward the quorum that makes an epoch the leader's, so no two leaders share an epoch.
/// </summary>
public sealed record AckEpoch(int CurrentEpoch, Zxid LastZxid, Zxid AppliedZxid, long Handshake, bool Fresh) : PeerMessage;

/// <summary>
/// Leader → learner: the sync (DIFF, TRUNC or SNAP) and NEWLEADER in one message. <see cref="From"/> is the zxid the
/// learner's history ends at before <see cref="Txns"/> are appended: its last zxid (DIFF), the truncation point
/// (TRUNC) or the snapshot's zxid (SNAP). Learners ack it, once durable, with <see cref="Ack"/>.
/// </summary>
public sealed record NewLeader(int Epoch, long Handshake, SyncMode Mode, Zxid From, byte[] Snapshot,
    IReadOnlyList<LoggedTxn> Txns, Zxid CommitZxid) : PeerMessage;

/// <summary>Learner → leader: everything up to <see cref="Zxid"/> in the leader's history is durable here (cumulative).</summary>
public sealed record Ack(int Epoch, Zxid Zxid) : PeerMessage;

/// <summary>Leader → learner: the learner is synced and may serve; everything up to CommitZxid is committed.</summary>
public sealed record UpToDate(int Epoch, long Handshake, Zxid CommitZxid) : PeerMessage;

/// <summary>Leader → follower: a new txn following <see cref="PrevZxid"/> in the leader's history (PROPOSAL).</summary>
public sealed record Proposal(int Epoch, Zxid PrevZxid, LoggedTxn Txn) : PeerMessage;

/// <summary>Leader → follower: everything up to <see cref="Zxid"/> is committed (COMMIT, cumulative).</summary>
public sealed record Commit(int Epoch, Zxid Zxid) : PeerMessage;

/// <summary>Leader → observer: a committed txn following <see cref="PrevZxid"/> (INFORM).</summary>
public sealed record Inform(int Epoch, Zxid PrevZxid, LoggedTxn Txn) : PeerMessage;

/// <summary>
/// Leader → learner each tick: liveness, the commit point and the last zxid sent (repairs lost commits).
/// <see cref="SyncedHandshake"/> is the learner's handshake once the leader counts it synced and serves (0 before):
/// it repeats a lost UPTODATE.
/// </summary>
public sealed record Ping(int Epoch, Zxid CommitZxid, Zxid LastZxid, long SyncedHandshake) : PeerMessage;
