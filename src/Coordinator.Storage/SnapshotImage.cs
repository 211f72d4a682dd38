// A copy of what a snapshot stores, taken on the loop in one quick pass so the file can be written off the loop.
using System.Text;
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Storage;

/// <summary>Receives each node of an image with its path as a snapshot writes it (UTF-8, the root as ""), valid during the call.</summary>
public delegate void ImageNodeVisitor(ReadOnlySpan<byte> utf8Path, in NodeImage node);
/// <summary>
/// The tree and its sessions as of <see cref="Zxid"/>, copied in one pass. <see cref="Capture"/> runs where the
/// tree is owned and only copies references and stat fields: no encoding, hashing or I/O, which
/// <see cref="SnapshotWriter"/> then does, on any thread. Unlike ZooKeeper's fuzzy snapshots, the image is exact:
/// every node is as of the same zxid.
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

    /// <summary>
    /// Copies the tree as it is now, in one pass; the snapshot is named after <paramref name="zxid"/> (normally
    /// the last applied). For a learner's SNAP and for tests: periodic snapshots stream a <see cref="TreeCapture"/>
    /// instead (<see cref="CapturePipe"/>), which needs no copy of the whole tree.
    /// </summary>
    public static SnapshotImage Capture(DataTree tree, long zxid)
    {
        var buffer = new NodeImage[tree.NodeCount];
        int i = 0;
        tree.Walk((_, name, depth, node) => buffer[i++] = new NodeImage(name, depth, node.Data, node.Acl, node.Persisted));
        return new SnapshotImage(zxid, tree.Sessions.ToArray(), buffer, i);
    }

    /// <summary>The nodes as one block, for the writer.</summary>
    internal ReadOnlyMemory<NodeImage> Memory => _buffer.AsMemory(0, Count);

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
        var paths = new SnapshotPaths();
        foreach (ref readonly var node in Nodes) visit(paths.Next(node), node);
    }
}

/// <summary>
/// Rebuilds the path of each node of a pre-order list (<see cref="NodeImage"/>) from its name and depth, as the
/// UTF-8 bytes a snapshot stores (the root as ""); each path is valid until the next call.
/// </summary>
public sealed class SnapshotPaths
{
    private byte[] _path = new byte[256];
    private int[] _lengths = new int[16]; // _lengths[d]: bytes of the path of the latest node at depth d

    public ReadOnlySpan<byte> Next(in NodeImage node)
    {
        int depth = node.Depth;
        int length = 0;
        if (depth > 0)
        {
            int start = _lengths[depth - 1];
            int most = start + 1 + Encoding.UTF8.GetMaxByteCount(node.Name.Length);
            if (most > _path.Length) Array.Resize(ref _path, Math.Max(most, _path.Length * 2));
            _path[start] = (byte)'/';
            length = start + 1 + Encoding.UTF8.GetBytes(node.Name, _path.AsSpan(start + 1));
        }
        if (depth >= _lengths.Length) Array.Resize(ref _lengths, Math.Max(depth + 1, _lengths.Length * 2));
        _lengths[depth] = length;
        return _path.AsSpan(0, length);
    }
}
