// srvr, stat, cons, crst and srst: server-wide and per-connection counters in ZooKeeper's layout.
//
// Formats (every line ends in "\n"):
//   srvr  "Zookeeper version: <v>", "Latency min/avg/max: <min>/<avg>/<max>", "Received: <n>", "Sent: <n>",
//         "Connections: <n>", "Outstanding: <n>", "Zxid: 0x<hex>", "Mode: <standalone|leader|follower|observer>",
//         "Node count: <n>"; a member of an ensemble that is not serving (electing, syncing) answers only
//         ZooKeeper's "This ZooKeeper instance is not currently serving requests".
//         The average keeps a fraction ("0.0", "5.8235"); min is 0 until the first request.
//   stat  srvr with a "Clients:" block after the version line: one brief connection line each, then a blank line.
//   cons  one line per connection, then a blank line. A line is " /<ip>:<port>[1](queued=..,recved=..,sent=..)" in
//         brief form; once a session is bound the parentheses also hold sid, lop, est, to, lcxid (only after a
//         request), lzxid, lresp, llat, minlat, avglat (integer) and maxlat.
//   crst  zeroes every connection's counters and answers "Connection stats reset.".
//   srst  zeroes the server's latency and packet counters and answers "Server stats reset.".
// Differences from ZooKeeper: the connection asking the question is not listed (the node only sees client
// sessions), "[1]" is always printed (ZooKeeper prints the socket's interest set), queued is always 0,
// lresp is a wall-clock time rather than a monotonic one, and Sent sums the packets sent on the connections
// open now: it drops when a connection closes and srst cannot reset it, because ServerStats has no sent counter
// yet (it needs one increment where ServerNode sends a packet).
using System.Runtime.CompilerServices;
using System.Text;

namespace Coordinator.Server;

internal static class StatWords
{
    /// <summary>
    /// crst must zero the packet counters, but <see cref="ConnectionStats"/> only counts up. Until it gains a
    /// reset, crst records where each counter stood and cons and stat print the difference.
    /// </summary>
    private sealed class PacketBaseline
    {
        public long Received;
        public long Sent;
    }

    private static readonly ConditionalWeakTable<ConnectionStats, PacketBaseline> Baselines = new();

    public static string Srvr(ServerNode node, WordInputs input) => Summary(node, input, withClients: false);

    public static string Stat(ServerNode node, WordInputs input) => Summary(node, input, withClients: true);

    /// <summary>What ZooKeeper answers to srvr, stat and mntr while it is not serving (looking for a leader, syncing).</summary>
    public const string NotServing = "This ZooKeeper instance is not currently serving requests\n";

    private static string Summary(ServerNode node, WordInputs input, bool withClients)
    {
        if (!node.IsServing) return NotServing;
        var s = node.Stats;
        var text = new StringBuilder();
        text.Append("Zookeeper version: ").Append(input.Version).Append('\n');
        if (withClients)
        {
            text.Append("Clients:\n");
            foreach (var c in Connections(node)) AppendConnection(text, c, brief: true);
            text.Append('\n');
        }
        text.Append("Latency min/avg/max: ").Append(WordFormat.MinLatency(s.MinLatencyMs, s.RequestCount))
            .Append('/').Append(WordFormat.Average(s.AvgLatencyMs)).Append('/').Append(WordFormat.Number(s.MaxLatencyMs)).Append('\n');
        text.Append("Received: ").Append(WordFormat.Number(s.PacketsReceived)).Append('\n');
        text.Append("Sent: ").Append(WordFormat.Number(PacketsSent(node))).Append('\n');
        text.Append("Connections: ").Append(WordFormat.Number(node.Clients.Count)).Append('\n');
        text.Append("Outstanding: ").Append(WordFormat.Number(node.QueuedCommandCount)).Append('\n');
        text.Append("Zxid: ").Append(WordFormat.Hex(node.LastZxid)).Append('\n');
        text.Append("Mode: ").Append(node.Mode).Append('\n');
        text.Append("Node count: ").Append(WordFormat.Number(node.Tree.NodeCount)).Append('\n');
        return text.ToString();
    }

    /// <summary>Packets sent to clients on the connections open now (see the file header for why not since start).</summary>
    /// <summary>Server-wide, so it never drops when a client leaves (exporters would read that as a reset).</summary>
    public static long PacketsSent(ServerNode node) => node.Stats.PacketsSent;

    public static string Cons(ServerNode node)
    {
        var text = new StringBuilder();
        foreach (var c in Connections(node)) AppendConnection(text, c, brief: false);
        return text.Append('\n').ToString();
    }

    public static string Crst(ServerNode node)
    {
        foreach (var c in node.Clients) Reset(c.Connection.Stats);
        return "Connection stats reset.\n";
    }

    public static string Srst(ServerNode node)
    {
        node.Stats.Reset();
        return "Server stats reset.\n";
    }

    /// <summary>Connections in the order they were accepted, so repeated calls list them the same way.</summary>
    private static IEnumerable<IClientConnection> Connections(ServerNode node) =>
        node.Clients.Select(c => c.Connection).OrderBy(c => c.ConnectionId);

    private static void AppendConnection(StringBuilder text, IClientConnection c, bool brief)
    {
        var st = c.Stats;
        Baselines.TryGetValue(st, out var baseline);
        text.Append(' ').Append(WordFormat.Address(c)).Append("[1](queued=0,recved=")
            .Append(WordFormat.Number(st.PacketsReceived - (baseline?.Received ?? 0)))
            .Append(",sent=").Append(WordFormat.Number(st.PacketsSent - (baseline?.Sent ?? 0)));
        if (!brief && st.SessionId != 0) AppendSession(text, st);
        text.Append(")\n");
    }

    private static void AppendSession(StringBuilder text, ConnectionStats st)
    {
        text.Append(",sid=").Append(WordFormat.Hex(st.SessionId))
            .Append(",lop=").Append(st.LastOperation)
            .Append(",est=").Append(WordFormat.Number(WordFormat.UnixMsOrZero(st.EstablishedAt)))
            .Append(",to=").Append(WordFormat.Number(st.TimeoutMs));
        if (st.LastCxid >= 0) text.Append(",lcxid=").Append(WordFormat.Hex(st.LastCxid));
        text.Append(",lzxid=").Append(WordFormat.Hex(st.LastZxid))
            .Append(",lresp=").Append(WordFormat.Number(WordFormat.UnixMsOrZero(st.LastResponseAt)))
            .Append(",llat=").Append(WordFormat.Number(st.LastLatencyMs))
            .Append(",minlat=").Append(WordFormat.Number(WordFormat.MinLatency(st.MinLatencyMs, st.RequestCount)))
            .Append(",avglat=").Append(WordFormat.Number(st.RequestCount == 0 ? 0 : st.TotalLatencyMs / st.RequestCount))
            .Append(",maxlat=").Append(WordFormat.Number(st.MaxLatencyMs));
    }

    /// <summary>Puts one connection's counters back to their state before its first request.</summary>
    private static void Reset(ConnectionStats st)
    {
        var baseline = Baselines.GetOrCreateValue(st);
        baseline.Received = st.PacketsReceived;
        baseline.Sent = st.PacketsSent;
        st.LastCxid = -1;
        st.LastZxid = -1;
        st.LastOperation = "NA";
        st.LastLatencyMs = 0;
        st.MinLatencyMs = long.MaxValue;
        st.MaxLatencyMs = 0;
        st.TotalLatencyMs = 0;
        st.RequestCount = 0;
        st.LastResponseAt = default;
    }
}
