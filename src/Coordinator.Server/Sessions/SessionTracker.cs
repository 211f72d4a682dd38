// Session deadlines, rounded up to the tick as ZooKeeper's ExpiryQueue does, so expiry is checked once per tick.
namespace Coordinator.Server.Sessions;

public sealed class SessionTracker(int tickMs)
{
    private readonly Dictionary<long, (int TimeoutMs, long DeadlineMs)> _sessions = new();

    public int Count => _sessions.Count;

    public bool Contains(long sessionId) => _sessions.ContainsKey(sessionId);

    public IEnumerable<long> SessionIds => _sessions.Keys;

    /// <summary>Each session with its deadline (unix ms), for the dump four-letter word.</summary>
    public IEnumerable<(long SessionId, long DeadlineMs)> Deadlines => _sessions.Select(s => (s.Key, s.Value.DeadlineMs));

    public int TimeoutOf(long sessionId) => _sessions.TryGetValue(sessionId, out var s) ? s.TimeoutMs : 0;

    public void Add(long sessionId, int timeoutMs, long nowMs) => _sessions[sessionId] = (timeoutMs, Deadline(nowMs, timeoutMs));

    /// <summary>Pushes the deadline out by one timeout; false when the session is unknown (expired or closed).</summary>
    public bool Touch(long sessionId, long nowMs)
    {
        if (!_sessions.TryGetValue(sessionId, out var s)) return false;
        _sessions[sessionId] = (s.TimeoutMs, Deadline(nowMs, s.TimeoutMs));
        return true;
    }

    public void Remove(long sessionId) => _sessions.Remove(sessionId);

    public void Clear() => _sessions.Clear();

    /// <summary>Sessions whose deadline has passed; they are removed from the tracker.</summary>
    public List<long> TakeExpired(long nowMs)
    {
        var expired = new List<long>();
        foreach (var (id, s) in _sessions)
            if (s.DeadlineMs <= nowMs) expired.Add(id);
        foreach (var id in expired) _sessions.Remove(id);
        expired.Sort();
        return expired;
    }

    private long Deadline(long nowMs, int timeoutMs) => ((nowMs + timeoutMs) / tickMs + 1) * tickMs;
}
