// hash: the digest of the whole znode tree, computed the way ZooKeeper 3.8 digests its tree.
//
// Format: "<zxid in hex, no 0x>: <digest as a signed decimal long>\n".
// Each znode contributes the CRC-32 of its path (the root as the empty string), its data, and a 60-byte
// big-endian record of czxid, mzxid, pzxid, ctime, mtime (longs), version, cversion, aversion (ints) and
// ephemeralOwner (long); the tree digest is the wrapping sum of those. Nodes under "/zookeeper/" do not count.
// The cversion is the stored one: the number of creates under the node, which is what our DataNode keeps.
// Checked against a ZooKeeper 3.8 server: the same tree gives the same number.
// Difference: ZooKeeper keeps a log of digests taken at every 128th zxid and prints that log; this node has no
// digest log yet, so it walks the tree on request and prints one line for the last applied zxid. At a zxid that
// is a multiple of 128 the line equals ZooKeeper's line for that zxid.
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Coordinator.Core;
using Coordinator.StateMachine;

namespace Coordinator.Server;

internal static class HashWord
{
    private const string SystemSubtree = "/zookeeper/";
    private const int StatBytes = 60;

    public static string Hash(ServerNode node) =>
        node.LastZxid.ToString("x", CultureInfo.InvariantCulture) + ": " +
        TreeDigest(node.Tree).ToString(CultureInfo.InvariantCulture) + "\n";

    public static long TreeDigest(DataTree tree)
    {
        long digest = 0;
        var pending = new Stack<string>();
        pending.Push("/");
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            var node = tree.GetNode(path);
            if (node is null) continue;
            unchecked { digest += NodeDigest(path, node); }
            foreach (var child in node.Children) pending.Push(PathValidation.Join(path, child));
        }
        return digest;
    }

    public static long NodeDigest(string path, DataNode node)
    {
        if (path.StartsWith(SystemSubtree, StringComparison.Ordinal)) return 0;
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
        uint crc = Crc32.Start;
        crc = Crc32.Update(crc, Encoding.UTF8.GetBytes(path == "/" ? "" : path));
        crc = Crc32.Update(crc, node.Data);
        crc = Crc32.Update(crc, stat);
        return Crc32.Finish(crc);
    }

    /// <summary>CRC-32 as java.util.zip.CRC32 computes it (IEEE 802.3, reflected polynomial 0xEDB88320).</summary>
    private static class Crc32
    {
        public const uint Start = 0xFFFFFFFF;
        private static readonly uint[] Table = BuildTable();

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                uint c = i;
                for (int bit = 0; bit < 8; bit++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                table[i] = c;
            }
            return table;
        }

        public static uint Update(uint crc, ReadOnlySpan<byte> bytes)
        {
            foreach (byte b in bytes) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }

        public static uint Finish(uint crc) => ~crc;
    }
}
