// hash: the digest of the whole znode tree, computed the way ZooKeeper 3.8 digests its tree.
//
// Format: "<zxid in hex, no 0x>: <digest as a signed decimal long>\n".
// The digest is ZooKeeper's tree digest (StateMachine's TreeDigest, the same one snapshots carry).
// Checked against a ZooKeeper 3.8 server: the same tree gives the same number.
// Difference: ZooKeeper keeps a log of digests taken at every 128th zxid and prints that log; this node has no
// digest log yet, so it walks the tree on request and prints one line for the last applied zxid. At a zxid that
// is a multiple of 128 the line equals ZooKeeper's line for that zxid.
using System.Globalization;
using Coordinator.StateMachine;

namespace Coordinator.Server;

internal static class HashWord
{
    public static string Hash(ServerNode node) =>
        node.LastZxid.ToString("x", CultureInfo.InvariantCulture) + ": " +
        TreeDigest.Of(node.Tree).ToString(CultureInfo.InvariantCulture) + "\n";
}
