// One-shot, persistent and recursive watches, and removing them, against both servers.
using Coordinator.Core;
using Coordinator.Client.Tests.Servers;

namespace Coordinator.Client.Tests.Watches;

public sealed class WatchesOnCoordinator(CoordinatorServer server) : WatchTests(server), IClassFixture<CoordinatorServer>;

public sealed class WatchesOnZooKeeper(ZooKeeperServer server) : WatchTests(server), IClassFixture<ZooKeeperServer>;

public abstract class WatchTests(IServerFixture server)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private async Task<(CoordinatorClient Watcher, CoordinatorClient Writer)> PairAsync(string name)
    {
        string chroot = await server.NewChrootAsync(name);
        return (await server.ConnectAsync(chroot), await server.ConnectAsync(chroot));
    }

    [Fact]
    public async Task One_shot_watches_fire_once_with_the_client_path()
    {
        var (zk, writer) = await PairAsync("oneshot");
        await using var _ = zk;
        await using var __ = writer;
        await writer.CreateAsync("/n", null);

        var data = new WatchRecorder();
        await zk.GetDataAsync("/n", data.Watcher);
        await writer.SetDataAsync("/n", [1]);
        await writer.SetDataAsync("/n", [2]);
        var e = await data.NextAsync();
        Assert.Equal(new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, "/n"), e);
        await data.AssertNoneAsync(Quiet);

        var children = new WatchRecorder();
        await zk.GetChildrenAsync("/n", children.Watcher);
        await writer.CreateAsync("/n/kid", null);
        Assert.Equal(new WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, "/n"), await children.NextAsync());

        var exists = new WatchRecorder();
        Assert.Null(await zk.ExistsAsync("/later", exists.Watcher));
        await writer.CreateAsync("/later", null);
        Assert.Equal(EventType.NodeCreated, (await exists.NextAsync()).Type);

        var deleted = new WatchRecorder();
        Assert.NotNull(await zk.ExistsAsync("/later", deleted.Watcher));
        await writer.DeleteAsync("/later");
        Assert.Equal(new WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, "/later"), await deleted.NextAsync());
        Assert.Equal(0, zk.WatchCount);
    }

    [Fact]
    public async Task A_watcher_set_twice_on_a_path_is_called_once()
    {
        var (zk, writer) = await PairAsync("dedup");
        await using var _ = zk;
        await using var __ = writer;
        await writer.CreateAsync("/n", null);
        var w = new WatchRecorder();
        await zk.GetDataAsync("/n", w.Watcher);
        await zk.ExistsAsync("/n", w.Watcher);
        await writer.SetDataAsync("/n", [1]);
        Assert.Equal(EventType.NodeDataChanged, (await w.NextAsync()).Type);
        await w.AssertNoneAsync(Quiet);
    }

    [Fact]
    public async Task Persistent_watch_keeps_firing_for_data_and_children()
    {
        var (zk, writer) = await PairAsync("persistent");
        await using var _ = zk;
        await using var __ = writer;
        var w = new WatchRecorder();
        await zk.AddWatchAsync("/p", AddWatchMode.Persistent, w.Watcher);
        await writer.CreateAsync("/p", null);
        await writer.SetDataAsync("/p", [1]);
        await writer.CreateAsync("/p/kid", null);
        await writer.SetDataAsync("/p/kid", [1]); // not this watch's node
        await writer.DeleteAsync("/p/kid");
        await writer.DeleteAsync("/p");
        var types = new List<EventType>();
        for (int i = 0; i < 5; i++) types.Add((await w.NextAsync()).Type);
        Assert.Equal([EventType.NodeCreated, EventType.NodeDataChanged, EventType.NodeChildrenChanged, EventType.NodeChildrenChanged, EventType.NodeDeleted], types);
        await w.AssertNoneAsync(Quiet);
    }

    [Fact]
    public async Task Recursive_watch_sees_the_whole_subtree_without_child_events()
    {
        var (zk, writer) = await PairAsync("recursive");
        await using var _ = zk;
        await using var __ = writer;
        var w = new WatchRecorder();
        await writer.CreateAsync("/r", null);
        await zk.AddWatchAsync("/r", AddWatchMode.PersistentRecursive, w.Watcher);
        await writer.CreateAsync("/r/a", null);
        await writer.CreateAsync("/r/a/b", null);
        await writer.SetDataAsync("/r/a/b", [1]);
        await writer.DeleteAsync("/r/a/b");
        await writer.CreateAsync("/outside", null);
        var seen = new List<(EventType, string?)>();
        for (int i = 0; i < 4; i++)
        {
            var e = await w.NextAsync();
            seen.Add((e.Type, e.Path));
        }
        Assert.Equal([(EventType.NodeCreated, "/r/a"), (EventType.NodeCreated, "/r/a/b"), (EventType.NodeDataChanged, "/r/a/b"), (EventType.NodeDeleted, "/r/a/b")], seen);
        await w.AssertNoneAsync(Quiet);
    }

    [Fact]
    public async Task Remove_watches_tells_the_watcher_and_stops_events()
    {
        var (zk, writer) = await PairAsync("remove");
        await using var _ = zk;
        await using var __ = writer;
        await writer.CreateAsync("/n", null);
        var first = new WatchRecorder();
        var second = new WatchRecorder();
        await zk.GetDataAsync("/n", first.Watcher);
        await zk.GetDataAsync("/n", second.Watcher);

        // One of two watchers: the server's watch stays (checkWatches) for the other.
        await zk.RemoveWatchesAsync("/n", WatcherType.Data, first.Watcher);
        Assert.Equal(EventType.DataWatchRemoved, (await first.NextAsync()).Type);
        await writer.SetDataAsync("/n", [1]);
        Assert.Equal(EventType.NodeDataChanged, (await second.NextAsync()).Type);
        await first.AssertNoneAsync(Quiet);

        var persistent = new WatchRecorder();
        await zk.AddWatchAsync("/n", AddWatchMode.Persistent, persistent.Watcher);
        await zk.RemoveWatchesAsync("/n", WatcherType.Persistent);
        Assert.Equal(EventType.PersistentWatchRemoved, (await persistent.NextAsync()).Type);
        await writer.SetDataAsync("/n", [2]);
        await persistent.AssertNoneAsync(Quiet);

        var noWatcher = await Assert.ThrowsAsync<NoWatcherException>(() => zk.RemoveWatchesAsync("/n", WatcherType.Children));
        Assert.Equal("/n", noWatcher.Path);

        var children = new WatchRecorder();
        await zk.GetChildrenAsync("/n", children.Watcher);
        await zk.RemoveWatchesAsync("/n", WatcherType.Any, local: true);
        Assert.Equal(EventType.ChildWatchRemoved, (await children.NextAsync()).Type);
    }
}
