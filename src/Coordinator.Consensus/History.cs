// A node's txn history in memory: the logged txns after a base zxid (the snapshot, or the last txn trimmed away).
using Coordinator.Core;

namespace Coordinator.Consensus;

/// <summary>
/// The tail of a node's history: txns in strictly increasing zxid order after <see cref="Base"/>. Everything up to
/// Base is in the host's state machine or was trimmed; a leader can DIFF a learner only from Base or later.
/// </summary>
public sealed class History
{
    private readonly List<LoggedTxn> _txns = new();

    public History(Zxid baseZxid, IEnumerable<LoggedTxn>? txns = null)
    {
        Base = baseZxid;
        foreach (var t in txns ?? []) Append(t);
    }

    public Zxid Base { get; private set; }
    public Zxid Last => _txns.Count > 0 ? _txns[^1].Zxid : Base;
    public int Count => _txns.Count;
    public IReadOnlyList<LoggedTxn> Txns => _txns;

    public void Append(LoggedTxn txn)
    {
        if (txn.Zxid <= Last)
            throw new InvalidOperationException($"history must grow: {txn.Zxid} after {Last}");
        _txns.Add(txn);
    }

    /// <summary>How many txns this history holds above <paramref name="zxid"/>.</summary>
    public int CountAfter(Zxid zxid) => _txns.Count - FirstAfter(zxid);

    /// <summary>True when <paramref name="zxid"/> is a point of this history: Base or a txn it holds.</summary>
    public bool Contains(Zxid zxid) => zxid == Base || IndexOf(zxid) >= 0;

    public LoggedTxn? Get(Zxid zxid)
    {
        int i = IndexOf(zxid);
        return i >= 0 ? _txns[i] : null;
    }

    /// <summary>The txns after <paramref name="zxid"/> up to <paramref name="upTo"/> (inclusive).</summary>
    public List<LoggedTxn> Between(Zxid zxid, Zxid upTo)
    {
        var result = new List<LoggedTxn>();
        for (int i = FirstAfter(zxid); i < _txns.Count && _txns[i].Zxid <= upTo; i++) result.Add(_txns[i]);
        return result;
    }

    /// <summary>The txn right after <paramref name="zxid"/>, if any.</summary>
    public LoggedTxn? Next(Zxid zxid)
    {
        int i = FirstAfter(zxid);
        return i < _txns.Count ? _txns[i] : null;
    }

    /// <summary>The newest point at or below <paramref name="zxid"/> (Base when none is).</summary>
    public Zxid AtOrBefore(Zxid zxid)
    {
        int i = FirstAfter(zxid) - 1;
        return i >= 0 ? _txns[i].Zxid : Base;
    }

    /// <summary>The newest point of this history in <paramref name="epoch"/> at or below <paramref name="limit"/>.</summary>
    public Zxid? LastInEpochAtOrBefore(int epoch, Zxid limit)
    {
        if (limit < Base) return null;
        var z = AtOrBefore(limit);
        return z.Epoch == epoch ? z : null;
    }

    /// <summary>Drops every txn above <paramref name="zxid"/>, which must not be below Base.</summary>
    public void TruncateAfter(Zxid zxid)
    {
        if (zxid < Base) throw new InvalidOperationException($"cannot truncate to {zxid} below the base {Base}");
        int i = FirstAfter(zxid);
        _txns.RemoveRange(i, _txns.Count - i);
    }

    /// <summary>Starts over from a snapshot at <paramref name="zxid"/>.</summary>
    public void Reset(Zxid zxid)
    {
        _txns.Clear();
        Base = zxid;
    }

    /// <summary>Forgets txns at or below <paramref name="applied"/> beyond the newest <paramref name="keep"/> of them.</summary>
    public void Trim(Zxid applied, int keep)
    {
        int appliedCount = FirstAfter(applied);
        int drop = appliedCount - keep;
        if (drop <= 0) return;
        Base = _txns[drop - 1].Zxid;
        _txns.RemoveRange(0, drop);
    }

    private int IndexOf(Zxid zxid)
    {
        int i = FirstAfter(zxid) - 1;
        return i >= 0 && _txns[i].Zxid == zxid ? i : -1;
    }

    /// <summary>Index of the first txn whose zxid is above <paramref name="zxid"/>.</summary>
    private int FirstAfter(Zxid zxid)
    {
        int lo = 0, hi = _txns.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_txns[mid].Zxid <= zxid) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}

/// <summary>How a leader will sync one learner: the mode and the zxid the learner's history ends at before the txns.</summary>
public readonly record struct SyncPlan(SyncMode Mode, Zxid From);

/// <summary>Chooses DIFF, TRUNC or SNAP for a learner from its last and applied zxids and the leader's history.</summary>
public static class SyncPlanner
{
    /// <remarks>
    /// Two histories that share a zxid agree on everything before it (each epoch has one leader, and a learner
    /// takes a leader's history whole before it accepts proposals of the leader's epoch). So the learner may keep
    /// its history up to the newest zxid both hold. The leader can prove two such points: its own newest point in
    /// the learner's last epoch at or below the learner's last zxid (counters within an epoch have no gaps), and
    /// the learner's applied zxid (applied means committed, and every leader holds every committed txn). The
    /// first is preferred (it keeps the most); equal to the learner's last zxid means DIFF, lower means TRUNC (the
    /// learner has txns this leader never had: uncommitted, so applied nowhere). With neither point inside the
    /// leader's history (the learner is older than what the leader keeps in memory), SNAP from the leader's
    /// applied state; that state is never older than the learner's, since the learner's applied zxid is then
    /// below the leader's base.
    /// </remarks>
    public static SyncPlan Plan(Zxid learnerLast, Zxid learnerApplied, History leader, Zxid leaderApplied)
    {
        if (learnerLast == leader.Last) return new SyncPlan(SyncMode.Diff, learnerLast);
        var common = leader.LastInEpochAtOrBefore(learnerLast.Epoch, learnerLast);
        if (common is null && learnerApplied <= learnerLast && leader.Contains(learnerApplied)) common = learnerApplied;
        if (common is null) return new SyncPlan(SyncMode.Snap, leaderApplied);
        return common.Value == learnerLast
            ? new SyncPlan(SyncMode.Diff, learnerLast)
            : new SyncPlan(SyncMode.Trunc, common.Value);
    }
}
