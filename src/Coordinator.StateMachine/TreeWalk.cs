// Walking the tree: every znode once, in pre-order, with its path built in one buffer.
namespace Coordinator.StateMachine;

/// <summary>Receives each znode of a walk: its path (valid only during the call), its name ("" for the root), its depth (0 for the root).</summary>
public delegate void NodeVisitor(ReadOnlySpan<char> path, string name, int depth, DataNode node);

public static class TreeWalk
{
    /// <summary>
    /// Visits every znode once in pre-order (each node before its children; siblings in no particular order),
    /// building paths in one buffer rather than allocating them. The visitor must not change the tree.
    /// </summary>
    public static void Walk(this DataTree tree, NodeVisitor visit)
    {
        var root = tree.Root;
        var path = new char[256];
        path[0] = '/';
        visit(path.AsSpan(0, 1), "", 0, root);
        if (root.ChildMap is not { } rootChildren) return;
        var levels = new Dictionary<string, DataNode>.Enumerator[16];
        var baseLengths = new int[16];
        int top = 0;
        levels[0] = rootChildren.GetEnumerator();
        baseLengths[0] = 0;
        while (top >= 0)
        {
            if (!levels[top].MoveNext())
            {
                top--;
                continue;
            }
            var (name, node) = levels[top].Current;
            int baseLength = baseLengths[top];
            int length = baseLength + 1 + name.Length;
            if (length > path.Length) Array.Resize(ref path, Math.Max(length, path.Length * 2));
            path[baseLength] = '/';
            name.CopyTo(path.AsSpan(baseLength + 1));
            visit(path.AsSpan(0, length), name, top + 1, node);
            if (node.ChildMap is not { } children) continue;
            if (++top == levels.Length)
            {
                Array.Resize(ref levels, top * 2);
                Array.Resize(ref baseLengths, top * 2);
            }
            levels[top] = children.GetEnumerator();
            baseLengths[top] = length;
        }
    }

    /// <summary>Every znode with its path, in pre-order. It allocates a string per znode: for tests and tools, not serving.</summary>
    public static List<KeyValuePair<string, DataNode>> ListNodes(this DataTree tree)
    {
        var list = new List<KeyValuePair<string, DataNode>>(tree.NodeCount);
        tree.Walk((path, _, _, node) => list.Add(new(path.ToString(), node)));
        return list;
    }
}
