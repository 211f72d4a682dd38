// SnapshotImage: a capture is a copy (later changes do not leak into the file) and nodes are written in pre-order.
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

public sealed class SnapshotImageTests
{
    private const string Folder = "/mem/data/version-2";

    [Fact]
    public void ChangesAfterTheCaptureDoNotReachTheSnapshot()
    {
        var script = TxnScript.Everything();
        var before = new MemoryDevice();
        var expected = SnapshotReader.Read(before, SnapshotWriter.Write(before, Folder, script.Tree, script.LastZxid)).Tree;
        const string changed = "/a";

        var image = SnapshotImage.Capture(script.Tree, script.LastZxid);
        // Change data, stats, ACLs, children and sessions after the capture, as the loop would while the file is written.
        script.SetData(1, changed, [9, 9, 9]);
        script.Create(1, "/late", [1]);
        script.SetAcl(1, changed, TxnScript.ReadOnly);
        script.CreateSession(0x77);

        var device = new MemoryDevice();
        string path = SnapshotWriter.Write(device, Folder, image);
        var written = SnapshotReader.Read(device, path);
        TreeAssert.Equal(expected, written.Tree);
        Assert.Null(written.Tree.GetNode("/late"));
        Assert.False(written.Tree.Sessions.ContainsKey(0x77));
        Assert.Equal(TreeDigest.Of(expected), written.Digest!.Value.Digest);
    }

    [Fact]
    public void A_reused_buffer_gives_the_same_snapshot_and_is_released_after_the_write()
    {
        var script = TxnScript.Everything(extraNodes: 50);
        var first = SnapshotImage.Capture(script.Tree, script.LastZxid);
        var device = new MemoryDevice();
        SnapshotWriter.Write(device, "/mem/a/version-2", first);
        first.Release();
        Assert.All(first.Buffer, n => Assert.Null(n.Name));

        // Fewer znodes than the buffer holds: it is reused, and the snapshot is what a fresh capture gives.
        script.Delete(1, "/binary");
        var reused = SnapshotImage.Capture(script.Tree, script.LastZxid, first.Buffer);
        Assert.Same(first.Buffer, reused.Buffer);
        string a = SnapshotWriter.Write(device, "/mem/b/version-2", reused);
        string b = SnapshotWriter.Write(device, "/mem/c/version-2", SnapshotImage.Capture(script.Tree, script.LastZxid));
        Assert.Equal(device.ReadAllBytes(b), device.ReadAllBytes(a));

        // More znodes than it holds: a larger buffer replaces it.
        for (int i = 0; i < first.Buffer.Length; i++) script.Create(1, $"/grow{i}", null);
        Assert.NotSame(first.Buffer, SnapshotImage.Capture(script.Tree, script.LastZxid, first.Buffer).Buffer);
    }

    [Fact]
    public void ImageDigestEqualsTheTreeDigest()
    {
        var script = TxnScript.Everything(extraNodes: 200);
        Assert.Equal(TreeDigest.Of(script.Tree), SnapshotImage.Capture(script.Tree, script.LastZxid).Digest());
    }

    [Fact]
    public void TheImageListsEveryPathInPreOrder()
    {
        // Names chosen so that ordinal order of whole paths differs from pre-order ('-' sorts before '/').
        var tree = new TxnScript();
        foreach (string p in new[] { "/a", "/a-c", "/a/b", "/a/b-x", "/a/b/c", "/a0", "/ab", "/a-c/z", "/B", "/é" })
            tree.Create(1, p, null);
        AssertPreOrder(tree.Tree);
    }

    [Fact]
    public void RandomTreesGiveEveryPathInPreOrder()
    {
        var random = new Random(1234);
        string alphabet = "ab-./0Z_é";
        for (int round = 0; round < 50; round++)
        {
            var script = new TxnScript();
            var paths = new List<string> { "/" };
            for (int i = 0; i < 60; i++)
            {
                string parent = paths[random.Next(paths.Count)];
                string name = new(Enumerable.Range(0, random.Next(1, 4)).Select(_ => alphabet[random.Next(alphabet.Length)]).Where(c => c != '/').ToArray());
                if (name.Length == 0 || name is "." or "..") continue;
                string path = parent == "/" ? "/" + name : parent + "/" + name;
                if (script.Tree.GetNode(path) is not null) continue;
                script.Create(1, path, null);
                paths.Add(path);
            }
            // Delete some leaves too, so sibling maps have holes.
            foreach (string path in paths.Skip(1).Where(p => script.Tree.GetNode(p)!.ChildCount == 0 && random.Next(4) == 0).ToList())
                script.Delete(1, path);
            AssertPreOrder(script.Tree);
        }
    }

    /// <summary>The image's rebuilt paths are exactly the tree's, each after its parent, and the bytes are each node's.</summary>
    private static void AssertPreOrder(DataTree tree)
    {
        var image = SnapshotImage.Capture(tree, 1);
        var listed = new List<string>();
        image.ForEachPath((path, in node) =>
        {
            string p = path.IsEmpty ? "/" : System.Text.Encoding.UTF8.GetString(path);
            Assert.Same(tree.GetNode(p)!.Data, node.Data);
            listed.Add(p);
        });
        Assert.Equal(TreeAssert.PreOrder(tree).Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        var seen = new HashSet<string>();
        foreach (string p in listed)
        {
            if (p != "/") Assert.Contains(p[..Math.Max(1, p.LastIndexOf('/'))], seen);
            seen.Add(p);
        }
    }
}
