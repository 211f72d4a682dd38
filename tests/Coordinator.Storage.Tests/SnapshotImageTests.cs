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

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public async Task A_capture_pumped_while_the_tree_changes_writes_the_tree_as_of_its_start(int seed)
    {
        var random = new Random(seed);
        var script = TxnScript.Everything(extraNodes: 300);
        for (int i = 0; i < 300; i++) script.Create(1, $"/a/deep{i % 7}" + (i < 7 ? "" : $"/n{i}"), [(byte)i]);
        var device = new MemoryDevice();
        var expected = SnapshotReader.Read(device, SnapshotWriter.Write(device, "/mem/expected/version-2", script.Tree, script.LastZxid));

        using var woken = new SemaphoreSlim(0);
        var pipe = new CapturePipe(script.Tree.BeginCapture(), () => woken.Release(), chunkNodes: 1 + random.Next(20));
        var writer = Task.Run(() => SnapshotWriter.Write(device, Folder, pipe, CancellationToken.None));
        int changes = 0;
        // The loop's part: a share, then a few changes of every kind, until the capture is handed over.
        for (int round = 0; !pipe.Pump(); round++)
        {
            Assert.True(round < 100_000, "the capture never completed");
            for (int k = random.Next(4); k > 0; k--, changes++) ChangeSomething(script, random, changes);
            if (random.Next(3) == 0) woken.Wait(TimeSpan.FromMilliseconds(5));
        }
        string file = await writer.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(changes > 50, $"only {changes} changes landed during the capture");
        var written = SnapshotReader.Read(device, file);
        TreeAssert.Equal(expected.Tree, written.Tree);
        Assert.Equal(expected.Digest, written.Digest);
        // After the capture the tree tracks nothing: the next one can start, and sees the changes.
        var next = new CapturePipe(script.Tree.BeginCapture(), () => { });
        next.Capture.Dispose();
    }

    private static void ChangeSomething(TxnScript script, Random random, int n)
    {
        var nodes = script.Tree.ListNodes().Select(e => e.Key).Where(p => !p.StartsWith("/zookeeper", StringComparison.Ordinal) && p != "/").ToList();
        string some = nodes[random.Next(nodes.Count)];
        switch (random.Next(6))
        {
            case 0: script.SetData(1, some, [(byte)n, 1, 2]); break;
            case 1: script.SetAcl(1, some, TxnScript.ReadOnly); break;
            case 2: script.Create(1, $"{some}/new{n}", [(byte)n]); break;
            case 3: script.CreateSession(0x1000 + n); break;
            default:
                string? leaf = nodes.Where(p => script.Tree.GetNode(p)!.ChildCount == 0).OrderBy(_ => random.Next()).FirstOrDefault();
                if (leaf is not null) script.Delete(1, leaf);
                break;
        }
    }

    [Fact]
    public async Task A_cancelled_write_leaves_no_file_and_lets_the_tree_go()
    {
        var script = TxnScript.Everything(extraNodes: 100);
        var device = new MemoryDevice();
        using var cancel = new CancellationTokenSource();
        var pipe = new CapturePipe(script.Tree.BeginCapture(), () => { }, chunkNodes: 8);
        Assert.False(pipe.Pump());
        var writer = Task.Run(() => SnapshotWriter.Write(device, Folder, pipe, cancel.Token));
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WaitAsync(TimeSpan.FromSeconds(30)));
        pipe.Close(); // as DurableStorage does when its writer stops
        Assert.True(pipe.Pump());
        Assert.True(pipe.Capture.Abandoned);
        Assert.Empty(device.DirectoryExists(Folder) ? device.ListFiles(Folder) : []);
        script.SetData(1, "/a", [7]); // nothing preserves for the abandoned capture any more
        script.Tree.BeginCapture().Dispose();
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
