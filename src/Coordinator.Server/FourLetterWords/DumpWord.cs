// dump: sessions grouped by when they expire, then the ephemeral znodes each session owns.
//
// Format (every line ends in "\n"):
//   "SessionTracker dump:"
//   "Session Sets (<buckets>)/(<sessions>):"      buckets are distinct expiry times (rounded up to the tick)
//   "<n> expire at <java.util.Date text>:"        per bucket, earliest first, then "\t0x<session>" per session
//   "ephemeral nodes dump:"
//   "Sessions with Ephemerals (<n>):"
//   "0x<session>:"                                per owning session, then "\t<path>" per ephemeral znode
//   "Connections dump:"
// ZooKeeper's NIO connection factory adds connection expiry buckets after the last header; its Netty factory
// prints the bare header, as we do, since our connections have no expiry of their own. Dates are printed in UTC.
using System.Text;

namespace Coordinator.Server;

internal static class DumpWord
{
    public static string Dump(ServerNode node)
    {
        var text = new StringBuilder();
        text.Append("SessionTracker dump:\n");
        AppendSessions(text, node.SessionDeadlines.ToList());
        text.Append("ephemeral nodes dump:\n");
        AppendEphemerals(text, node);
        text.Append("Connections dump:\n");
        return text.ToString();
    }

    private static void AppendSessions(StringBuilder text, List<(long SessionId, long DeadlineMs)> sessions)
    {
        var buckets = sessions.GroupBy(s => s.DeadlineMs).OrderBy(b => b.Key).ToList();
        text.Append("Session Sets (").Append(WordFormat.Number(buckets.Count)).Append(")/(")
            .Append(WordFormat.Number(sessions.Count)).Append("):\n");
        foreach (var bucket in buckets)
        {
            text.Append(WordFormat.Number(bucket.Count())).Append(" expire at ").Append(WordFormat.JavaDate(bucket.Key)).Append(":\n");
            foreach (var (sessionId, _) in bucket.OrderBy(s => s.SessionId)) text.Append('\t').Append(WordFormat.Hex(sessionId)).Append('\n');
        }
    }

    private static void AppendEphemerals(StringBuilder text, ServerNode node)
    {
        var owners = node.Tree.Ephemerals.Where(e => e.Value.Count > 0).OrderBy(e => e.Key).ToList();
        text.Append("Sessions with Ephemerals (").Append(WordFormat.Number(owners.Count)).Append("):\n");
        foreach (var (sessionId, paths) in owners)
        {
            text.Append(WordFormat.Hex(sessionId)).Append(":\n");
            foreach (var path in paths.Order(StringComparer.Ordinal)) text.Append('\t').Append(path).Append('\n');
        }
    }
}
