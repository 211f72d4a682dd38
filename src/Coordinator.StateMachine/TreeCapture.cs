// An exact copy of the tree as of one zxid, taken a share at a time while the tree keeps changing.
using System.Buffers;
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine;

/// <summary>
/// The tree as it was when <see cref="DataTree.BeginCapture"/> was called, handed out in pre-order a few
/// thousand nodes at a time (<see cref="Take"/>) by the thread that owns the tree, between the changes it
/// keeps applying. Nothing is copied up front: a snapshot of a million znodes needs neither a full image in
/// memory nor a long pause of the loop.
/// <para>
/// It stays exact by copy-on-write. Each node records the generation of the last capture that took its
/// state (<see cref="DataNode.CaptureMark"/>). Walking a node takes its fields and lists its children then.
/// Before the tree changes a node this capture has not walked yet (its fields, or its set of children), it
/// hands the node to <see cref="Preserve"/>, which keeps the fields and the children as they still are; the
/// walk later uses that copy. Nodes created meanwhile carry the current generation and are in no listing,
/// so they are never visited; a node deleted meanwhile is still in its parent's listing, unchanged.
/// </para>
/// </summary>
public sealed class TreeCapture : IDisposable
{
    private readonly DataTree _tree;
    private readonly Dictionary<DataNode, Preserved> _preserved = new(ReferenceEqualityComparer.Instance);
    private readonly Stack<Frame> _frames = new();
    private bool _rootTaken;

    internal TreeCapture(DataTree tree, int generation, long zxid, KeyValuePair<long, int>[] sessions, IReadOnlyList<Acl>[] aclLists)
    {
        _tree = tree;
        Generation = generation;
        Zxid = zxid;
        Sessions = sessions;
        AclLists = aclLists;
    }

    internal int Generation { get; }

    /// <summary>The last applied zxid when the capture began: the nodes are as of this zxid.</summary>
    public long Zxid { get; }

    /// <summary>Session id and timeout (ms) as of <see cref="Zxid"/>.</summary>
    public IReadOnlyList<KeyValuePair<long, int>> Sessions { get; }

    /// <summary>Every ACL list a captured node can have (the tree's interned lists when the capture began).</summary>
    public IReadOnlyList<IReadOnlyList<Acl>> AclLists { get; }

    /// <summary>Every node has been handed out.</summary>
    public bool Completed { get; private set; }

    /// <summary>The tree stopped keeping this capture exact before it completed (it was disposed or the tree was replaced).</summary>
    public bool Abandoned { get; private set; }

    /// <summary>How many nodes were copied because they changed before the walk reached them (the copy-on-write cost).</summary>
    public int CopiedOnWrite { get; private set; }

    /// <summary>How many nodes have been handed out so far.</summary>
    public int Taken { get; private set; }

    /// <summary>
    /// Fills <paramref name="into"/> with the next nodes in pre-order and returns how many; 0 once every node
    /// was handed out (the capture is then <see cref="Completed"/> and the tree no longer tracks it).
    /// </summary>
    public int Take(Span<NodeImage> into)
    {
        if (Abandoned) throw new InvalidOperationException("the capture was abandoned: the tree no longer keeps it exact");
        if (into.IsEmpty) return 0;
        int count = 0;
        if (!_rootTaken)
        {
            into[count++] = Visit(_tree.Root, "", 0);
            _rootTaken = true;
        }
        while (count < into.Length && _frames.TryPeek(out var frame))
        {
            if (frame.Next == frame.Children.Count)
            {
                _frames.Pop().Children.Release();
                continue;
            }
            var (name, node) = frame.Children.Items[frame.Next++];
            into[count++] = Visit(node, name, frame.Depth + 1);
        }
        Taken += count;
        if (count == 0 && !Completed)
        {
            Completed = true;
            _tree.EndCapture(this);
        }
        return count;
    }

    /// <summary>Stops the capture; the tree stops preserving nodes for it (it calls this itself when it is replaced wholesale).</summary>
    public void Dispose()
    {
        if (Completed || Abandoned) return;
        Abandoned = true;
        foreach (var kept in _preserved.Values) kept.Children.Release();
        _preserved.Clear();
        while (_frames.TryPop(out var frame)) frame.Children.Release();
        _tree.EndCapture(this);
    }

    /// <summary>Keeps a node's state as of the capture; the tree calls it before changing a node not yet walked.</summary>
    internal void Preserve(DataNode node)
    {
        _preserved.Add(node, new Preserved(new NodeImage("", 0, node.Data, node.Acl, node.Persisted), ListChildren(node)));
        node.CaptureMark = Generation;
        CopiedOnWrite++;
    }

    private NodeImage Visit(DataNode node, string name, int depth)
    {
        NodeImage image;
        Listing children;
        if (node.CaptureMark == Generation)
        {
            if (!_preserved.Remove(node, out var kept))
                throw new InvalidOperationException($"capture {Generation} reached node {name} twice, or one created after it began");
            image = kept.Image with { Name = name, Depth = depth };
            children = kept.Children;
        }
        else
        {
            node.CaptureMark = Generation;
            image = new NodeImage(name, depth, node.Data, node.Acl, node.Persisted);
            children = ListChildren(node);
        }
        if (children.Count > 0) _frames.Push(new Frame(children, depth));
        return image;
    }

    private static Listing ListChildren(DataNode node)
    {
        if (node.ChildMap is not { Count: > 0 } map) return default;
        // Pooled: a directory of a million children lists into 16 MB, and first touches of fresh memory cost more
        // than the copy (about 50 ms on the development VM, once per snapshot, on the loop).
        var items = ArrayPool<KeyValuePair<string, DataNode>>.Shared.Rent(map.Count);
        ((ICollection<KeyValuePair<string, DataNode>>)map).CopyTo(items, 0);
        return new Listing(items, map.Count);
    }

    /// <summary>A node's children as they were when listed, in a pooled array.</summary>
    private readonly record struct Listing(KeyValuePair<string, DataNode>[] Items, int Count)
    {
        public void Release()
        {
            if (Items is not null) ArrayPool<KeyValuePair<string, DataNode>>.Shared.Return(Items, clearArray: true);
        }
    }

    private sealed record Preserved(NodeImage Image, Listing Children);

    private sealed class Frame(Listing children, int depth)
    {
        public Listing Children { get; } = children;
        public int Depth { get; } = depth;
        public int Next { get; set; }
    }
}
