// wchs, wchc and wchp: summaries and listings of the data watches the node holds.
//
// Formats:
//   wchs  "<w> connections watching <p> paths\nTotal watches:<n>\n" (no space after the colon).
//   wchc  per watching session: "0x<session>\n" then "\t<path>\n" per watched path; a blank line ends the listing.
//   wchp  per watched path: "<path>\n" then "\t0x<session>\n" per watching session; a blank line ends the listing.
// As in ZooKeeper 3.8 these three read only the data-watch table (getData and exists watches, and persistent
// watches, which sit in both tables); child watches are counted in mntr's zk_watch_count but not listed here.
// ZooKeeper lists in hash order; we sort sessions by id and paths ordinally so the output is stable.
using System.Text;
using Coordinator.StateMachine.Watches;

namespace Coordinator.Server;

internal static class WatchWords
{
    public static string Wchs(ServerNode node)
    {
        var table = node.Tree.Watches.DataWatches;
        int watchers = table.ByWatcher.Count();
        return $"{WordFormat.Number(watchers)} connections watching {WordFormat.Number(table.PathCount)} paths\n" +
               $"Total watches:{WordFormat.Number(table.Count)}\n";
    }

    public static string Wchc(ServerNode node)
    {
        var text = new StringBuilder();
        foreach (var (watcher, paths) in node.Tree.Watches.DataWatches.ByWatcher.OrderBy(w => w.Key))
        {
            text.Append(WordFormat.Hex(watcher)).Append('\n');
            foreach (var path in paths.Order(StringComparer.Ordinal)) text.Append('\t').Append(path).Append('\n');
        }
        return text.Append('\n').ToString();
    }

    public static string Wchp(ServerNode node)
    {
        var text = new StringBuilder();
        foreach (var (path, watchers) in Paths(node.Tree.Watches.DataWatches))
        {
            text.Append(path).Append('\n');
            foreach (var watcher in watchers.Keys.Order()) text.Append('\t').Append(WordFormat.Hex(watcher)).Append('\n');
        }
        return text.Append('\n').ToString();
    }

    private static IEnumerable<KeyValuePair<string, Dictionary<long, WatchModes>>> Paths(WatchTable table) =>
        table.ByPath.OrderBy(p => p.Key, StringComparer.Ordinal);
}
