// TreeRestorer: snapshot nodes placed by their UTF-8 paths, in pre-order or not, and refused without a parent.
using System.Text;
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine.Tests;

public sealed class TreeRestorerFacts
{
    private static DataNode Node(long zxid, long owner = 0) => new([(byte)zxid], Acl.OpenAclUnsafe, zxid, zxid, owner);

    private static void Restore(TreeRestorer restorer, string path, DataNode node) => restorer.Restore(Encoding.UTF8.GetBytes(path), node);

    [Fact]
    public void PreOrderAndOutOfOrderInputGiveTheSameTree()
    {
        string[] paths = ["/a", "/a/b", "/a/b/c", "/a/bb", "/a-x", "/a-x/é", "/z", "/z/y"];
        var inOrder = new DataTree();
        var restorer = new TreeRestorer(inOrder);
        Restore(restorer, "", Node(1));
        for (int i = 0; i < paths.Length; i++) Restore(restorer, paths[i], Node(i + 2));

        // Parents still come first, but jumping between branches defeats the previous-path chain.
        int[] shuffled = [0, 4, 6, 1, 5, 3, 7, 2];
        var outOfOrder = new DataTree();
        restorer = new TreeRestorer(outOfOrder);
        foreach (int i in shuffled) Restore(restorer, paths[i], Node(i + 2));
        Restore(restorer, "", Node(1));

        Assert.Equal(inOrder.NodeCount, outOfOrder.NodeCount);
        Assert.Equal(4 + paths.Length, inOrder.NodeCount); // the root, /zookeeper, its quota and config nodes, and these
        foreach (string path in paths.Prepend("/"))
        {
            Assert.Equal(inOrder.GetNode(path)!.Czxid, outOfOrder.GetNode(path)!.Czxid);
            Assert.Equal(inOrder.GetNode(path)!.Children.Order(), outOfOrder.GetNode(path)!.Children.Order());
        }
        Assert.Equal(inOrder.ApproximateDataSize, outOfOrder.ApproximateDataSize);
        Assert.Equal(TreeDigest.Of(inOrder), TreeDigest.Of(outOfOrder));
    }

    [Fact]
    public void TheSystemNodesTakeTheSnapshotsStatAndKeepTheirChildren()
    {
        var tree = new DataTree();
        var restorer = new TreeRestorer(tree);
        Restore(restorer, "", Node(1));
        Restore(restorer, "/zookeeper", Node(7));
        Restore(restorer, "/zookeeper/quota", Node(8));
        Assert.Equal(4, tree.NodeCount);
        Assert.Equal(7, tree.GetNode("/zookeeper")!.Czxid);
        Assert.Equal(["config", "quota"], tree.GetNode("/zookeeper")!.Children.Order());
    }

    [Fact]
    public void EphemeralsAreIndexedByTheirPath()
    {
        var tree = new DataTree();
        var restorer = new TreeRestorer(tree);
        Restore(restorer, "/s", Node(2));
        Restore(restorer, "/s/e", Node(3, owner: 0x42));
        Assert.Equal(["/s/e"], tree.EphemeralsOf(0x42));
    }

    [Theory]
    [InlineData("/missing/child")]
    [InlineData("/a//b")]
    [InlineData("/a/")]
    [InlineData("a")]
    public void A_node_without_a_parent_in_the_tree_is_refused(string path)
    {
        var tree = new DataTree();
        var restorer = new TreeRestorer(tree);
        Restore(restorer, "/a", Node(2));
        var refused = Assert.Throws<ArgumentException>(() => Restore(restorer, path, Node(3)));
        Assert.Contains(path, refused.Message);
        Assert.Equal(5, tree.NodeCount);
    }
}
