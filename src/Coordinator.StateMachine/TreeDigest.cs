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

    public static long OfNode(string path, DataNode node) => OfNode(path, node.Data, node.Persisted);

    /// <summary>The digest of one znode from copied fields (a snapshot image digests the tree off the loop).</summary>
    public static long OfNode(string path, byte[]? data, in PersistedStat stat)
    {
        if (path.StartsWith(ExcludedPrefix, StringComparison.Ordinal)) return 0;
        // ZooKeeper keys the root both as "" and "/" and always digests it as "".
        string digestPath = path == "/" ? "" : path;
        Span<byte> fields = stackalloc byte[StatBytes];
        BinaryPrimitives.WriteInt64BigEndian(fields, stat.Czxid);
        BinaryPrimitives.WriteInt64BigEndian(fields[8..], stat.Mzxid);
        BinaryPrimitives.WriteInt64BigEndian(fields[16..], stat.Pzxid);
        BinaryPrimitives.WriteInt64BigEndian(fields[24..], stat.Ctime);
        BinaryPrimitives.WriteInt64BigEndian(fields[32..], stat.Mtime);
        BinaryPrimitives.WriteInt32BigEndian(fields[40..], stat.Version);
        BinaryPrimitives.WriteInt32BigEndian(fields[44..], stat.Cversion);
        BinaryPrimitives.WriteInt32BigEndian(fields[48..], stat.Aversion);
        BinaryPrimitives.WriteInt64BigEndian(fields[52..], stat.EphemeralOwner);

        uint crc = Crc32.Begin();
        crc = Crc32.Update(crc, Encoding.UTF8.GetBytes(digestPath));
        if (data is not null) crc = Crc32.Update(crc, data);
        crc = Crc32.Update(crc, fields);
        return Crc32.End(crc);
    }

    /// <summary>The digest of the whole tree: the sum over every node, in any order.</summary>
    public static long Of(DataTree tree)
    {
        long sum = 0;
        foreach (var (path, node) in tree.Nodes) unchecked { sum += OfNode(path, node); }
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
