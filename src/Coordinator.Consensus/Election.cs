// Fast leader election: rounds of notifications until a quorum of voters agrees on the best vote.
namespace Coordinator.Consensus;

/// <summary>
/// The LOOKING state of one node. Each node starts a round voting for itself and adopts any better vote it hears
/// (most recent epoch, then zxid, then higher id), telling everyone when its vote changes. When the votes of a
/// quorum of voters in its round equal its own, it waits one tick for a better vote (ZooKeeper's finalizeWait)
/// and decides, or decides at once when every voter agrees. A node that comes back to an ensemble that already
/// has a leader learns it from the notifications of a quorum of voters that are following or leading it.
/// Observers run the same listening part but never vote; their notifications only ask others for their state.
/// </summary>
internal sealed class Election
{
    private readonly long _me;
    private readonly QuorumConfig _config;
    private readonly Dictionary<long, Vote> _votes = new();
    private readonly Dictionary<long, (Vote Vote, PeerState State)> _outOfElection = new();
    private Vote _own;

    public Election(long me, QuorumConfig config)
    {
        _me = me;
        _config = config;
    }

    public long Round { get; private set; }
    public Vote Proposed { get; private set; }
    private bool IsVoter => _config.IsVoter(_me);

    /// <summary>Starts a new round voting for <paramref name="own"/>; returns a leader when one is decided at once.</summary>
    public Vote? Start(Vote own, List<ZabAction> outbox)
    {
        Round++;
        _own = own;
        Proposed = own;
        _votes.Clear();
        _outOfElection.Clear();
        if (IsVoter) _votes[_me] = own;
        Broadcast(outbox);
        return IsVoter ? Decided() : null;
    }

    public void Broadcast(List<ZabAction> outbox)
    {
        var n = new Notification(Proposed, Round, PeerState.Looking);
        // A voter asks everyone; an observer only needs the voters' answers.
        foreach (var id in IsVoter ? _config.All : _config.Voters)
            if (id != _me) outbox.Add(new Send(id, n));
    }

    /// <summary>Handles a notification while looking; returns the decided vote when there is one.</summary>
    public Vote? Receive(long from, Notification n, List<ZabAction> outbox)
    {
        if (!_config.Contains(from)) return null;
        if (n.State != PeerState.Looking) return ReceiveEstablished(from, n);
        if (!_config.IsVoter(from) || !IsVoter)
        {
            // An observer's vote counts for nothing, but it needs ours to find the leader; an observer ignores looking peers.
            if (IsVoter) outbox.Add(new Send(from, new Notification(Proposed, Round, PeerState.Looking)));
            return null;
        }
        if (n.Round > Round)
        {
            Round = n.Round;
            _votes.Clear();
            Proposed = Vote.Max(n.Vote, _own);
            _votes[_me] = Proposed;
            Broadcast(outbox);
        }
        else if (n.Round < Round)
        {
            // The sender is behind: show it our round so it catches up.
            outbox.Add(new Send(from, new Notification(Proposed, Round, PeerState.Looking)));
            return null;
        }
        else if (n.Vote > Proposed)
        {
            Proposed = n.Vote;
            _votes[_me] = Proposed;
            Broadcast(outbox);
        }
        _votes[from] = n.Vote;
        return Decided();
    }

    private Vote? Decided()
    {
        int agree = _votes.Count(kv => _config.IsVoter(kv.Key) && kv.Value == Proposed);
        return agree == _config.Voters.Count ? Proposed : null;
    }

    /// <summary>Called each tick while looking: a quorum still agreeing after a tick decides.</summary>
    public Vote? Finalize()
    {
        if (!IsVoter) return null;
        int agree = _votes.Count(kv => _config.IsVoter(kv.Key) && kv.Value == Proposed);
        return agree >= _config.QuorumSize ? Proposed : null;
    }

    /// <summary>
    /// A peer that is following, leading or observing answered. Join its leader when a quorum of voters report the
    /// same leader and epoch and the leader itself reports leading, so a lone stale follower cannot lead us astray.
    /// </summary>
    private static bool SameLeadership(Vote a, Vote b) => a.Leader == b.Leader && a.PeerEpoch == b.PeerEpoch;

    private Vote? ReceiveEstablished(long from, Notification n)
    {
        _outOfElection[from] = (n.Vote, n.State);
        var leader = n.Vote.Leader;
        if (leader == _me) return null;
        if (!_outOfElection.TryGetValue(leader, out var l) || l.State != PeerState.Leading || !SameLeadership(l.Vote, n.Vote)) return null;
        int agree = _outOfElection.Count(kv => _config.IsVoter(kv.Key) && SameLeadership(kv.Value.Vote, n.Vote));
        if (agree < _config.QuorumSize) return null;
        Round = Math.Max(Round, n.Round);
        return n.Vote;
    }
}
