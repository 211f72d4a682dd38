// Puts the znodes a snapshot lists into a tree by their UTF-8 paths, finding each parent from the previous path.
using System.Text;

namespace Coordinator.StateMachine;

/// <summary>
/// Restores nodes read from a snapshot, given their paths as the file holds them (UTF-8, the root as ""), with
/// what <see cref="DataTree.RestoreNode"/> does for each. Snapshots list nodes in pre-order, so a node's parent
/// is the previous node or one of its ancestors: the restorer keeps that chain, so each node costs one lookup
/// in its parent and no string but its name. Nodes in another order are still placed (the parent is then
/// looked up from the root); a node whose parent is not in the tree is refused with an ArgumentException.
/// </summary>
public sealed class TreeRestorer
{
    private readonly DataTree _tree;

    // The previous node's path, and the nodes along it (the root first) with the byte length of each one's path.
    private byte[] _previous = new byte[256];
    private readonly List<(int Length, DataNode Node)> _chain = [];

    public TreeRestorer(DataTree tree)
    {
        _tree = tree;
        _chain.Add((0, tree.Root));
    }

    public void Restore(ReadOnlySpan<byte> utf8Path, DataNode node)
    {
        if (utf8Path.IsEmpty || utf8Path.SequenceEqual("/"u8))
        {
            _tree.RestoreOver(_tree.Root, node, "/");
            _chain.RemoveRange(1, _chain.Count - 1);
            return;
        }
        if (utf8Path[0] != '/') throw new ArgumentException($"cannot restore {Decode(utf8Path)}: a path starts with /", nameof(utf8Path));
        int cut = utf8Path.LastIndexOf((byte)'/');
        var nameBytes = utf8Path[(cut + 1)..];
        var parent = nameBytes.IsEmpty ? null : FindParent(utf8Path, cut);
        if (parent is null) throw new ArgumentException($"cannot restore {Decode(utf8Path)}: its parent is not in the tree", nameof(utf8Path));

        string name = Encoding.UTF8.GetString(nameBytes);
        var placed = parent.Child(name);
        if (placed is not null) _tree.RestoreOver(placed, node, Decode(utf8Path));
        else
        {
            int chars = Ascii.IsValid(utf8Path) ? utf8Path.Length : Encoding.UTF8.GetCharCount(utf8Path);
            _tree.RestoreUnder(parent, name, node, chars, node.EphemeralOwner == 0 ? null : Decode(utf8Path));
            placed = node;
        }
        _chain.Add((utf8Path.Length, placed));
        if (_previous.Length < utf8Path.Length) _previous = new byte[Math.Max(utf8Path.Length, _previous.Length * 2)];
        utf8Path.CopyTo(_previous);
    }

    /// <summary>The node at path[..length], leaving the chain ending at it.</summary>
    private DataNode? FindParent(ReadOnlySpan<byte> path, int length)
    {
        var parentPath = path[..length];
        for (int i = _chain.Count - 1; i >= 0 && _chain[i].Length >= length; i--)
        {
            if (_chain[i].Length != length || !parentPath.SequenceEqual(_previous.AsSpan(0, length))) continue;
            _chain.RemoveRange(i + 1, _chain.Count - i - 1);
            return _chain[i].Node;
        }
        // Not in pre-order after the previous node: look the parent up and start the chain again from it.
        var parent = _tree.GetNode(length == 0 ? "/" : Decode(parentPath));
        _chain.RemoveRange(1, _chain.Count - 1);
        if (parent is not null && length > 0) _chain.Add((length, parent));
        return parent;
    }

    private static string Decode(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
