// ZooKeeper's tree digest (digest version 2): a CRC32 per znode over path, data and Stat fields, summed over the tree.
using System.Buffers.Binary;
using System.Text;

namespace Coordinator.StateMachine;

/// <summary>
/// ZooKeeper 3.6+ writes this digest into every txn log record and snapshot and compares it when it loads them,
/// so Coordinator computes it exactly the same way to keep a dataDir interchangeable. The digest of the tree is
/// the wrapping 64-bit sum of the node digests, so one change can be applied by subtracting a node's old digest
/// and adding its new one. Nodes under "/zookeeper/" contribute 0 (ZooKeeper excludes them because quota nodes
/// are updated locally on each server); the root counts once, under the path "".
/// </summary>
public static class TreeDigest
{
    /// <summary>The digest version ZooKeeper 3.6 to 3.9 write next to each digest.</summary>
    public const int Version = 2;

    private const string ExcludedPrefix = "/zookeeper/";
    private const int StatBytes = 60;

    public static long OfNode(string path, DataNode node)
    {
        if (path.StartsWith(ExcludedPrefix, StringComparison.Ordinal)) return 0;
        // ZooKeeper keys the root both as "" and "/" and always digests it as "".
        string digestPath = path == "/" ? "" : path;
        Span<byte> stat = stackalloc byte[StatBytes];
        BinaryPrimitives.WriteInt64BigEndian(stat, node.Czxid);
        BinaryPrimitives.WriteInt64BigEndian(stat[8..], node.Mzxid);
        BinaryPrimitives.WriteInt64BigEndian(stat[16..], node.Pzxid);
        BinaryPrimitives.WriteInt64BigEndian(stat[24..], node.Ctime);
        BinaryPrimitives.WriteInt64BigEndian(stat[32..], node.Mtime);
        BinaryPrimitives.WriteInt32BigEndian(stat[40..], node.Version);
        BinaryPrimitives.WriteInt32BigEndian(stat[44..], node.Cversion);
        BinaryPrimitives.WriteInt32BigEndian(stat[48..], node.Aversion);
        BinaryPrimitives.WriteInt64BigEndian(stat[52..], node.EphemeralOwner);

        uint crc = Crc32.Begin();
        crc = Crc32.Update(crc, Encoding.UTF8.GetBytes(digestPath));
        if (node.Data is not null) crc = Crc32.Update(crc, node.Data);
        crc = Crc32.Update(crc, stat);
        return Crc32.End(crc);
    }

    /// <summary>The digest of the whole tree: one pass over every node, iteratively so deep trees cannot overflow the stack.</summary>
    public static long Of(DataTree tree)
    {
        long sum = 0;
        var pending = new Stack<string>();
        pending.Push("/");
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            var node = tree.GetNode(path) ?? throw new InvalidOperationException($"child {path} is listed but missing");
            unchecked { sum += OfNode(path, node); }
            foreach (string child in node.Children) pending.Push(path == "/" ? "/" + child : path + "/" + child);
        }
        return sum;
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected, as java.util.zip.CRC32), table driven.</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = BuildTable();

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                uint c = i;
                for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                table[i] = c;
            }
            return table;
        }

        public static uint Begin() => 0xFFFFFFFFu;

        public static uint Update(uint crc, ReadOnlySpan<byte> bytes)
        {
            foreach (byte b in bytes) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }

        public static long End(uint crc) => crc ^ 0xFFFFFFFFu;
    }
}
