// Splits the watch set into setWatches2 records small enough that no re-registration packet exceeds the packet limit.
using System.Text;
using Coordinator.Jute.Records;

namespace Coordinator.Client.Watches;

internal static class SetWatchesChunker
{
    /// <summary>Path bytes per setWatches packet, as ZooKeeper's own client caps it (128 KiB): well under jute.maxbuffer.</summary>
    public const int ChunkBytesMax = 128 * 1024;

    /// <summary>Request header, relativeZxid and five vector counts: what every chunk carries besides the paths.</summary>
    public const int FixedBytes = 4 + 4 + 4 + 8 + (5 * 4);

    /// <summary>
    /// The records to send, each encoding to at most <paramref name="packetBytesMax"/> bytes (or 128 KiB, whichever is
    /// less). A single path longer than that is sent alone; the server's own path limit keeps it far below.
    /// </summary>
    public static List<SetWatches> Chunk(WatchSnapshot watches, long relativeZxid, int packetBytesMax)
    {
        int budget = Math.Min(ChunkBytesMax, packetBytesMax) - FixedBytes;
        var chunks = new List<SetWatches>();
        var lists = NewLists();
        int used = 0;
        var all = new[] { watches.Data, watches.Exist, watches.Child, watches.Persistent, watches.PersistentRecursive };
        for (int kind = 0; kind < all.Length; kind++)
        {
            foreach (string path in all[kind])
            {
                int size = 4 + Encoding.UTF8.GetByteCount(path);
                if (used > 0 && used + size > budget)
                {
                    chunks.Add(ToRecord(lists, relativeZxid));
                    lists = NewLists();
                    used = 0;
                }
                lists[kind].Add(path);
                used += size;
            }
        }
        if (used > 0) chunks.Add(ToRecord(lists, relativeZxid));
        return chunks;
    }

    private static List<string>[] NewLists() => [[], [], [], [], []];

    private static SetWatches ToRecord(List<string>[] l, long relativeZxid) => new(relativeZxid, l[0], l[1], l[2], l[3], l[4]);
}
