// Lock fairness and exclusion, election with leadership loss, barriers and the counter under contention, on both servers.
using System.Text;
using Coordinator.Client.Recipes;
using Coordinator.Client.Tests.Servers;

namespace Coordinator.Client.Tests.Recipes;

public sealed class CoordinationRecipesOnCoordinator(CoordinatorServer server) : CoordinationRecipeTests(server), IClassFixture<CoordinatorServer>;

public sealed class CoordinationRecipesOnZooKeeper(ZooKeeperServer server) : CoordinationRecipeTests(server), IClassFixture<ZooKeeperServer>;

public abstract class CoordinationRecipeTests(IServerFixture server)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private async Task<CoordinatorClient[]> ClientsAsync(string name, int count)
    {
        string chroot = await server.NewChrootAsync(name);
        return await Task.WhenAll(Enumerable.Range(0, count).Select(_ => server.ConnectAsync(chroot)));
    }

    private static async Task DisposeAllAsync(IEnumerable<CoordinatorClient> clients)
    {
        foreach (var c in clients) await c.DisposeAsync();
    }

    [Fact]
    public async Task Lock_is_fair_and_wakes_only_the_next_waiter()
    {
        var clients = await ClientsAsync("lockfair", 3);
        try
        {
            var locks = clients.Select(c => new DistributedLock(c, "/locks/res")).ToArray();
            var first = await locks[0].AcquireAsync().Within();
            var second = locks[1].AcquireAsync();
            await WaitForQueueAsync(locks[0], 2);
            var third = locks[2].AcquireAsync();
            await WaitForQueueAsync(locks[0], 3);

            // No herd: each waiter holds exactly one watch, on the node just ahead of it.
            await Eventually.TrueAsync(() => clients[1].WatchCount == 1 && clients[2].WatchCount == 1, "one watch per waiter");
            await Task.Delay(Quiet);
            Assert.False(second.IsCompleted);
            Assert.False(third.IsCompleted);

            await first.DisposeAsync();
            var secondHandle = await second.Within();
            await Task.Delay(Quiet);
            Assert.False(third.IsCompleted, "the third contender must wait for the second");
            await secondHandle.DisposeAsync();
            await using var thirdHandle = await third.Within();
            Assert.False(thirdHandle.IsLost);
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    private static async Task WaitForQueueAsync(DistributedLock l, int length)
    {
        var deadline = DateTime.UtcNow + ServerFixtures.WaitTimeout;
        while (await l.GetQueueLengthAsync() < length)
        {
            Assert.True(DateTime.UtcNow < deadline, $"queue never reached {length}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Many_contenders_never_overlap()
    {
        var clients = await ClientsAsync("lockmany", 4);
        try
        {
            int inside = 0;
            int maxInside = 0;
            var order = new List<int>();
            var workers = Enumerable.Range(0, 12).Select(async i =>
            {
                var l = new DistributedLock(clients[i % clients.Length], "/locks/many");
                await using var handle = await l.AcquireAsync();
                int now = Interlocked.Increment(ref inside);
                InterlockedMax(ref maxInside, now);
                lock (order) order.Add(i);
                await Task.Delay(5);
                Interlocked.Decrement(ref inside);
            });
            await Task.WhenAll(workers).Within(TimeSpan.FromSeconds(30));
            Assert.Equal(1, maxInside);
            Assert.Equal(12, order.Count);
            Assert.Equal(0, await new DistributedLock(clients[0], "/locks/many").GetQueueLengthAsync());
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    [Fact]
    public async Task Try_acquire_times_out_and_leaves_the_queue()
    {
        var clients = await ClientsAsync("locktry", 2);
        try
        {
            await using var held = await new DistributedLock(clients[0], "/l").AcquireAsync().Within();
            var waiter = new DistributedLock(clients[1], "/l");
            Assert.Null(await waiter.TryAcquireAsync(TimeSpan.FromMilliseconds(300)).Within());
            Assert.Equal(1, await waiter.GetQueueLengthAsync());
            Assert.Equal(0, clients[1].WatchCount);
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Fact]
    public async Task A_lock_is_lost_when_its_session_expires()
    {
        var clients = await ClientsAsync("locklost", 2);
        try
        {
            var handle = await new DistributedLock(clients[0], "/l").AcquireAsync().Within();
            var next = new DistributedLock(clients[1], "/l").AcquireAsync();
            var lost = new TaskCompletionSource();
            handle.Lost.Register(() => lost.TrySetResult());
            await SessionKiller.ExpireAsync(server, clients[0].SessionId, clients[0].SessionPassword);
            await lost.Task.Within();
            await using var nextHandle = await next.Within();
            Assert.True(handle.IsLost);
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Fact]
    public async Task Election_hands_over_on_resign_and_signals_loss_on_expiry()
    {
        var clients = await ClientsAsync("election", 3);
        try
        {
            var a = new LeaderElection(clients[0], "/election", "a");
            var b = new LeaderElection(clients[1], "/election", "b");
            var c = new LeaderElection(clients[2], "/election", "c");
            var leaderA = await a.WaitForLeadershipAsync().Within();
            Assert.True(a.IsLeader);
            var waitB = b.WaitForLeadershipAsync();
            await WaitForParticipantsAsync(a, 2);
            var waitC = c.WaitForLeadershipAsync();
            await WaitForParticipantsAsync(a, 3);
            Assert.Equal(["a", "b", "c"], await c.GetParticipantsAsync());
            Assert.Equal("a", await b.GetLeaderIdAsync());

            // Resigning hands over to the next in line only.
            await leaderA.DisposeAsync();
            var leaderB = await waitB.Within();
            Assert.False(a.IsLeader);
            await Task.Delay(Quiet);
            Assert.False(waitC.IsCompleted);

            // The leader's session dies: it is told, and the next participant takes over.
            var lostEvent = new TaskCompletionSource();
            b.LeadershipLost += (_, _) => lostEvent.TrySetResult();
            await SessionKiller.ExpireAsync(server, clients[1].SessionId, clients[1].SessionPassword);
            await lostEvent.Task.Within();
            Assert.True(leaderB.Lost.IsCancellationRequested);
            Assert.False(b.IsLeader);
            await using var leaderC = await waitC.Within();
            Assert.Equal("c", await a.GetLeaderIdAsync());

            // The one that lost can stand again on its renewed session, and queues behind c.
            var again = b.WaitForLeadershipAsync();
            await WaitForParticipantsAsync(a, 2);
            Assert.Equal(["c", "b"], await a.GetParticipantsAsync());
            await leaderC.DisposeAsync();
            await using var leaderBAgain = await again.Within();
            Assert.True(b.IsLeader);
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    private static async Task WaitForParticipantsAsync(LeaderElection e, int count)
    {
        var deadline = DateTime.UtcNow + ServerFixtures.WaitTimeout;
        while ((await e.GetParticipantsAsync()).Count != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"never {count} participants");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Barrier_holds_waiters_until_removed()
    {
        var clients = await ClientsAsync("barrier", 2);
        try
        {
            var owner = new DistributedBarrier(clients[0], "/b");
            await owner.SetAsync();
            var waiting = new DistributedBarrier(clients[1], "/b").WaitAsync();
            await Task.Delay(Quiet);
            Assert.False(waiting.IsCompleted);
            await owner.RemoveAsync();
            await waiting.Within();
            await new DistributedBarrier(clients[1], "/b").WaitAsync().Within();
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Fact]
    public async Task Double_barrier_enters_and_leaves_together()
    {
        var clients = await ClientsAsync("doublebarrier", 3);
        try
        {
            var members = clients.Select((c, i) => new DoubleBarrier(c, "/db", 3, "m" + i)).ToArray();
            var enter0 = members[0].EnterAsync();
            var enter1 = members[1].EnterAsync();
            await Task.Delay(Quiet);
            Assert.False(enter0.IsCompleted);
            Assert.False(enter1.IsCompleted);
            await members[2].EnterAsync().Within();
            await Task.WhenAll(enter0, enter1).Within();

            var leave0 = members[0].LeaveAsync();
            var leave1 = members[1].LeaveAsync();
            await Task.Delay(Quiet);
            Assert.False(leave0.IsCompleted);
            Assert.False(leave1.IsCompleted);
            await members[2].LeaveAsync().Within();
            await Task.WhenAll(leave0, leave1).Within();
            Assert.Empty((await clients[0].GetChildrenAsync("/db")).Children);
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Fact]
    public async Task Counter_loses_no_update_under_concurrency()
    {
        var clients = await ClientsAsync("counter", 4);
        try
        {
            var adders = clients.SelectMany(c => Enumerable.Range(0, 3).Select(async _ =>
            {
                var counter = new DistributedCounter(c, "/counters/hits");
                for (int i = 0; i < 10; i++) await counter.IncrementAsync();
            }));
            await Task.WhenAll(adders).Within(TimeSpan.FromSeconds(30));
            var check = new DistributedCounter(clients[0], "/counters/hits");
            Assert.Equal(120, await check.GetAsync());
            Assert.Equal(100, await check.AddAsync(-20));
            Assert.False(await check.TrySetAsync(5, 6));
            Assert.True(await check.TrySetAsync(100, 7));
            Assert.Equal(7, await new DistributedCounter(clients[1], "/counters/hits").GetAsync());
            Assert.Equal(0, await new DistributedCounter(clients[1], "/counters/none").GetAsync());
            Assert.Equal(Encoding.UTF8.GetByteCount("12345678"), (await clients[0].GetDataAsync("/counters/hits")).Data.Length);
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }
}
