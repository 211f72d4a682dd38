// A copy of what a snapshot stores, taken on the loop in one quick pass so the file can be written off the loop.
using System.Text;
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Storage;

/// <summary>
/// One znode as a snapshot stores it, in a pre-order list: its name and depth (the root is "" at depth 0), so a
/// path is rebuilt from the names above it rather than kept per node. Data arrays are never changed in place (a
/// set replaces them), so sharing them is safe.
/// </summary>
public readonly record struct NodeImage(string Name, int Depth, byte[]? Data, IReadOnlyList<Acl> Acl, PersistedStat Stat);

/// <summary>Receives each node of an image with its path as a snapshot writes it (UTF-8, the root as ""), valid during the call.</summary>
public delegate void ImageNodeVisitor(ReadOnlySpan<byte> utf8Path, in NodeImage node);
/// <summary>
/// The tree and its sessions as of <see cref="Zxid"/>. <see cref="Capture"/> runs where the tree is owned (the
/// server loop) and only copies references and stat fields: no sorting, encoding, hashing or I/O, which
/// <see cref="SnapshotWriter"/> then does on another thread. Unlike ZooKeeper's fuzzy snapshots, the image is
/// exact: every node is as of the same zxid.
/// </summary>
public sealed class SnapshotImage
{
    private readonly NodeImage[] _buffer;

    private SnapshotImage(long zxid, KeyValuePair<long, int>[] sessions, NodeImage[] buffer, int count)
    {
        Zxid = zxid;
        Sessions = sessions;
        _buffer = buffer;
        Count = count;
    }

    public long Zxid { get; }

    /// <summary>Session id and timeout (ms), in no particular order.</summary>
    public IReadOnlyList<KeyValuePair<long, int>> Sessions { get; }

    /// <summary>How many znodes the image holds.</summary>
    public int Count { get; }

    /// <summary>Every znode in pre-order: each node before its children, siblings in the tree's order.</summary>
    public Span<NodeImage> Nodes => _buffer.AsSpan(0, Count);

    /// <summary>The array behind <see cref="Nodes"/>, to hand to the next capture once this image is written.</summary>
    public NodeImage[] Buffer => _buffer;

    /// <summary>
    /// Copies the tree as it is now; the snapshot is named after <paramref name="zxid"/> (normally the last
    /// applied). A <paramref name="reuse"/> array large enough is filled instead of a new one: a million znodes
    /// make an image of about 90 MB, and allocating one per snapshot kept several of them resident.
    /// </summary>
    public static SnapshotImage Capture(DataTree tree, long zxid, NodeImage[]? reuse = null)
    {
        int count = tree.NodeCount;
        var buffer = reuse is not null && reuse.Length >= count ? reuse : new NodeImage[count + count / 4];
        int i = 0;
        tree.Walk((_, name, depth, node) => buffer[i++] = new NodeImage(name, depth, node.Data, node.Acl, node.Persisted));
        return new SnapshotImage(zxid, tree.Sessions.ToArray(), buffer, count);
    }

    /// <summary>Drops the image's references to znode data and paths, so deleted znodes can be collected while the buffer waits for reuse.</summary>
    public void Release() => Nodes.Clear();

    /// <summary>ZooKeeper's tree digest of the image (the same sum <see cref="TreeDigest.Of"/> gives for the tree).</summary>
    public long Digest()
    {
        long sum = 0;
        ForEachPath((path, in node) => sum = unchecked(sum + TreeDigest.OfNodeUtf8(path, node.Data, node.Stat)));
        return sum;
    }

    /// <summary>Visits the nodes in order with their paths, rebuilt in one buffer from the names along the way.</summary>
    public void ForEachPath(ImageNodeVisitor visit)
    {
        var path = new byte[256];
        var lengths = new int[16]; // lengths[d]: bytes of the path of the latest node at depth d
        foreach (ref readonly var node in Nodes)
        {
            int depth = node.Depth;
            int length = 0;
            if (depth > 0)
            {
                int start = lengths[depth - 1];
                int most = start + 1 + Encoding.UTF8.GetMaxByteCount(node.Name.Length);
                if (most > path.Length) Array.Resize(ref path, Math.Max(most, path.Length * 2));
                path[start] = (byte)'/';
                length = start + 1 + Encoding.UTF8.GetBytes(node.Name, path.AsSpan(start + 1));
            }
            if (depth >= lengths.Length) Array.Resize(ref lengths, Math.Max(depth + 1, lengths.Length * 2));
            lengths[depth] = length;
            visit(path.AsSpan(0, length), node);
        }
    }
}
