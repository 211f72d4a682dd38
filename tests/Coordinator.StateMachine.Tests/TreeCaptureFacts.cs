// TreeCapture: one at a time, nodes created after it began are not in it, and replacing the tree abandons it.
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine.Tests;

public sealed class TreeCaptureFacts
{
    private static void Create(DataTree tree, string path, long zxid) =>
        tree.Apply(new TxnHeader(1, 1, zxid, zxid, 1), new CreateTxn(path, [(byte)zxid], Acl.OpenAclUnsafe, false, -1));

    private static List<string> Names(TreeCapture capture, int share)
    {
        var names = new List<string>();
        var into = new NodeImage[share];
        for (int n; (n = capture.Take(into)) > 0;) names.AddRange(into.Take(n).Select(i => $"{i.Depth}:{i.Name}"));
        return names;
    }

    [Fact]
    public void NodesCreatedOrDeletedAfterTheStartDoNotChangeWhatItHandsOut()
    {
        var tree = new DataTree();
        Create(tree, "/a", 1);
        Create(tree, "/a/b", 2);
        var capture = tree.BeginCapture();
        Assert.Throws<InvalidOperationException>(() => tree.BeginCapture());
        var first = new NodeImage[2];
        Assert.Equal(2, capture.Take(first)); // the root and one of its children
        Create(tree, "/a/c", 3);
        Create(tree, "/z", 4);
        tree.Apply(new TxnHeader(1, 1, 5, 5, 2), new DeleteTxn("/a/b"));
        var rest = Names(capture, 1);
        Assert.True(capture.Completed);
        var all = first.Select(i => $"{i.Depth}:{i.Name}").Concat(rest).Order().ToList();
        Assert.Equal(["0:", "1:a", "1:zookeeper", "2:b", "2:config", "2:quota"], all);
        Assert.Equal(1, capture.CopiedOnWrite); // only /a changed before the walk reached it (the root was walked first)
        Assert.Equal(6, capture.Taken);
        tree.BeginCapture().Dispose(); // the finished one no longer blocks a new one
    }

    [Fact]
    public void ReplacingTheTreeAbandonsTheCapture()
    {
        var tree = new DataTree();
        Create(tree, "/a", 1);
        var capture = tree.BeginCapture();
        var other = new DataTree();
        Create(other, "/b", 7);
        tree.ReplaceWith(other);
        Assert.True(capture.Abandoned);
        Assert.Throws<InvalidOperationException>(() => capture.Take(new NodeImage[4]));
        Assert.Equal(["0:", "1:b", "1:zookeeper", "2:config", "2:quota"], Names(tree.BeginCapture(), 3).Order().ToList());
    }
}
