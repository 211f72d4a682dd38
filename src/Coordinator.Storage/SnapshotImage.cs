// A copy of what a snapshot stores, taken on the loop in one quick pass so the file can be written off the loop.
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Storage;

/// <summary>One znode as a snapshot stores it. Data arrays are never changed in place (a set replaces them), so sharing them is safe.</summary>
public readonly record struct NodeImage(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, PersistedStat Stat);

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

    /// <summary>Every znode, in no particular order (writing the image sorts it in place).</summary>
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
        foreach (var (path, node) in tree.Nodes) buffer[i++] = new NodeImage(path, node.Data, node.Acl, node.Persisted);
        return new SnapshotImage(zxid, tree.Sessions.ToArray(), buffer, count);
    }

    /// <summary>Drops the image's references to znode data and paths, so deleted znodes can be collected while the buffer waits for reuse.</summary>
    public void Release() => Nodes.Clear();

    /// <summary>ZooKeeper's tree digest of the image (the same sum <see cref="TreeDigest.Of"/> gives for the tree).</summary>
    public long Digest()
    {
        long sum = 0;
        foreach (ref readonly var node in Nodes) unchecked { sum += TreeDigest.OfNode(node.Path, node.Data, node.Stat); }
        return sum;
    }
}

/// <summary>
/// Orders paths as a pre-order walk with siblings in ordinal order visits them: parents before children, and a
/// node's whole subtree before its next sibling ("/a", "/a/b", "/a-c"). It is ordinal order with '/' sorting
/// below every other character.
/// </summary>
public sealed class PreOrderComparer : IComparer<string>
{
    public static readonly PreOrderComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int common = x.AsSpan().CommonPrefixLength(y);
        if (common == x.Length || common == y.Length) return x.Length - y.Length;
        char a = x[common], b = y[common];
        if (a == '/') return -1;
        if (b == '/') return 1;
        return a.CompareTo(b);
    }
}
