// Test helper: compares two DataTrees node by node (data, ACL, every persisted Stat field, children) and their sessions.
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

internal static class TreeAssert
{
    public static void Equal(DataTree expected, DataTree actual)
    {
        var expectedPaths = PreOrder(expected);
        var actualPaths = PreOrder(actual);
        Assert.Equal(expectedPaths, actualPaths);
        foreach (string path in expectedPaths) NodeEqual(path, expected.GetNode(path)!, actual.GetNode(path)!);
        Assert.Equal(expected.Sessions.OrderBy(s => s.Key), actual.Sessions.OrderBy(s => s.Key));
        Assert.Equal(Sorted(expected.Ephemerals), Sorted(actual.Ephemerals));
        Assert.Equal(expected.Containers.Order(), actual.Containers.Order());
        Assert.Equal(expected.Ttls.Order(), actual.Ttls.Order());
    }

    public static void NodeEqual(string path, DataNode e, DataNode a)
    {
        Assert.True(e.Data is null == a.Data is null, $"{path}: data null-ness differs");
        Assert.True((e.Data ?? []).AsSpan().SequenceEqual(a.Data ?? []), $"{path}: data differs");
        Assert.True(e.Acl.SequenceEqual(a.Acl), $"{path}: ACL differs");
        var es = (e.Czxid, e.Mzxid, e.Ctime, e.Mtime, e.Version, e.Cversion, e.Aversion, e.EphemeralOwner, e.Pzxid);
        var @as = (a.Czxid, a.Mzxid, a.Ctime, a.Mtime, a.Version, a.Cversion, a.Aversion, a.EphemeralOwner, a.Pzxid);
        Assert.True(es == @as, $"{path}: stat {es} != {@as}");
        Assert.Equal(e.Children.Order(StringComparer.Ordinal), a.Children.Order(StringComparer.Ordinal));
    }

    /// <summary>Every path, parents first, siblings sorted.</summary>
    public static List<string> PreOrder(DataTree tree)
    {
        var order = new List<string>();
        void Walk(string path)
        {
            order.Add(path);
            foreach (string child in tree.GetNode(path)!.Children.Order(StringComparer.Ordinal)) Walk(path == "/" ? "/" + child : path + "/" + child);
        }
        Walk("/");
        return order;
    }

    private static List<string> Sorted(IReadOnlyDictionary<long, HashSet<string>> ephemerals) =>
        ephemerals.SelectMany(kv => kv.Value.Select(p => $"{kv.Key:x}:{p}")).Order(StringComparer.Ordinal).ToList();
}
