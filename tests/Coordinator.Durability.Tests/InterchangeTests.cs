// Owns process-level interchange: Apache ZooKeeper 3.8 boots the dataDir our server wrote, and our server boots ZooKeeper's writes.
using Coordinator.Jute.Records;
using Xunit.Abstractions;

namespace Coordinator.Durability.Tests;

public sealed class InterchangeTests(ITestOutputHelper output)
{
    private const int FlagSequential = 2;

    /// <summary>ZooKeeper's minimum with tickTime=2000.</summary>
    private const int EphemeralSessionTimeoutMs = 4000;

    private static readonly TimeSpan ExpiryDeadline = TimeSpan.FromMilliseconds(EphemeralSessionTimeoutMs + 25_000);

    [Fact]
    public async Task Apache_ZooKeeper_serves_our_dataDir_and_we_serve_what_it_wrote()
    {
        Assert.True(ApacheZooKeeperProcess.Installed, $"{ApacheZooKeeperProcess.Jar} or java is missing: install Debian's zookeeper package");
        using var dir = new TempDir("interchange");
        string data = dir.Combine("data");
        string cfg = ZooCfg.Write(dir.Path, data);

        // 1. Our server writes, then stops cleanly.
        Dictionary<string, (byte[]? Data, Stat Stat)> ours;
        await using (var server = await ServerRuns.StartServingAsync(cfg))
        {
            await using (var c = await RawClient.ConnectAsync(server.EndPoint!, ServerRuns.SessionTimeoutMs, ServerRuns.OpTimeout))
            {
                await CreateOkAsync(c, "/interchange", "from-coordinator");
                await CreateOkAsync(c, "/interchange/child", "");
                var seq = await c.CreateAsync("/interchange/seq-", RawClient.Utf8("s"), FlagSequential).WaitAsync(ServerRuns.OpTimeout);
                Assert.Equal(0, seq.Err);
                Assert.Equal(0, (await c.SetDataAsync("/interchange", RawClient.Utf8("from-coordinator-v2")).WaitAsync(ServerRuns.OpTimeout)).Err);
                ours = await DumpAsync(c, "/interchange", "/interchange/child", seq.ReadPath());
                Assert.Equal(0, (await c.CloseSessionAsync().WaitAsync(ServerRuns.OpTimeout)).Err);
            }
            Assert.Equal(0, await server.StopAsync());
        }

        // 2. ZooKeeper boots the same dataDir and serves every znode with the same data and Stat; then it writes.
        Dictionary<string, (byte[]? Data, Stat Stat)> theirs;
        await using (var zk = await ApacheZooKeeperProcess.StartAsync(data, dir.Path))
        {
            await using var c = await RawClient.ConnectAsync(zk.EndPoint, ServerRuns.SessionTimeoutMs, ServerRuns.OpTimeout);
            AssertSame(ours, await DumpAsync(c, [.. ours.Keys]), "Apache ZooKeeper on our dataDir");
            var children = await c.GetChildrenAsync("/interchange").WaitAsync(ServerRuns.OpTimeout);
            Assert.Equal(2, children.ReadChildren().Count);
            await CreateOkAsync(c, "/from-zookeeper", "written-by-zookeeper");
            Assert.Equal(0, (await c.SetDataAsync("/interchange", RawClient.Utf8("changed-by-zookeeper")).WaitAsync(ServerRuns.OpTimeout)).Err);
            theirs = await DumpAsync(c, [.. ours.Keys, "/from-zookeeper"]);
            output.WriteLine($"Apache ZooKeeper served {ours.Count} of our znodes and wrote up to zxid 0x{theirs["/interchange"].Stat.Mzxid:x}");
            // SIGKILL: ZooKeeper synced both writes before answering them.
        }

        // 3. Our server boots ZooKeeper's files, serves its writes, and keeps logging after them across a crash.
        long zkLastZxid = theirs.Values.Max(v => v.Stat.Mzxid);
        await using (var server = await ServerRuns.StartServingAsync(cfg))
        {
            await using (var c = await RawClient.ConnectAsync(server.EndPoint!, ServerRuns.SessionTimeoutMs, ServerRuns.OpTimeout))
            {
                AssertSame(theirs, await DumpAsync(c, [.. theirs.Keys]), "our server on Apache ZooKeeper's dataDir");
                var next = await c.CreateAsync("/back-again", []).WaitAsync(ServerRuns.OpTimeout);
                Assert.Equal(0, next.Err);
                Assert.True(next.Zxid > zkLastZxid, $"our zxid 0x{next.Zxid:x} does not follow ZooKeeper's 0x{zkLastZxid:x}");
            }
            await server.KillAsync();
        }
        await using (var server = await ServerRuns.StartServingAsync(cfg))
        {
            await using var c = await RawClient.ConnectAsync(server.EndPoint!, ServerRuns.SessionTimeoutMs, ServerRuns.OpTimeout);
            AssertSame(theirs, await DumpAsync(c, [.. theirs.Keys]), "our server after a crash on the mixed dataDir");
            Assert.Equal(0, (await c.ExistsAsync("/back-again").WaitAsync(ServerRuns.OpTimeout)).Err);
        }
    }

    [Fact]
    public async Task We_serve_a_fresh_Apache_ZooKeeper_dataDir_and_expire_its_absent_session()
    {
        Assert.True(ApacheZooKeeperProcess.Installed, $"{ApacheZooKeeperProcess.Jar} or java is missing: install Debian's zookeeper package");
        using var dir = new TempDir("fromzk");
        string data = dir.Combine("data");
        Dictionary<string, (byte[]? Data, Stat Stat)> theirs;
        long zkSession;
        await using (var zk = await ApacheZooKeeperProcess.StartAsync(data, dir.Path))
        {
            await using var c = await RawClient.ConnectAsync(zk.EndPoint, EphemeralSessionTimeoutMs, ServerRuns.OpTimeout);
            await CreateOkAsync(c, "/zk", "made-by-zookeeper");
            await CreateOkAsync(c, "/zk/child", "");
            var eph = await c.CreateAsync("/zk/ephemeral", RawClient.Utf8("e"), RawClient.FlagEphemeral).WaitAsync(ServerRuns.OpTimeout);
            Assert.Equal(0, eph.Err);
            Assert.Equal(0, (await c.SetDataAsync("/zk", RawClient.Utf8("made-by-zookeeper-v2")).WaitAsync(ServerRuns.OpTimeout)).Err);
            theirs = await DumpAsync(c, "/zk", "/zk/child", "/zk/ephemeral");
            zkSession = c.SessionId;
            Assert.Equal(zkSession, theirs["/zk/ephemeral"].Stat.EphemeralOwner);
            // SIGKILL with the client connected: its session and ephemeral stay in ZooKeeper's files.
        }

        string cfg = ZooCfg.Write(dir.Path, data);
        await using var server = await ServerRuns.StartServingAsync(cfg);
        var sinceStart = System.Diagnostics.Stopwatch.StartNew();
        await using var observer = await RawClient.ConnectAsync(server.EndPoint!, ServerRuns.SessionTimeoutMs, ServerRuns.OpTimeout);
        AssertSame(theirs, await DumpAsync(observer, [.. theirs.Keys]), "our server on Apache ZooKeeper's fresh dataDir");

        // ZooKeeper's session was recovered with its timeout; its client never returns, so it expires.
        int err = 0;
        while (sinceStart.Elapsed < ExpiryDeadline)
        {
            err = (await observer.ExistsAsync("/zk/ephemeral").WaitAsync(ServerRuns.OpTimeout)).Err;
            if (err == RawClient.ErrNoNode) break;
            await Task.Delay(250);
        }
        output.WriteLine($"ZooKeeper session 0x{zkSession:x} expired on our server {sinceStart.ElapsedMilliseconds} ms after it served");
        Assert.Equal(RawClient.ErrNoNode, err);
        Assert.Equal(0, (await observer.ExistsAsync("/zk/child").WaitAsync(ServerRuns.OpTimeout)).Err);
    }

    private static async Task CreateOkAsync(RawClient c, string path, string data)
    {
        var reply = await c.CreateAsync(path, RawClient.Utf8(data)).WaitAsync(ServerRuns.OpTimeout);
        Assert.True(reply.Err == 0, $"create {path}: error {reply.Err}");
    }

    private static async Task<Dictionary<string, (byte[]? Data, Stat Stat)>> DumpAsync(RawClient c, params string[] paths)
    {
        var dump = new Dictionary<string, (byte[]? Data, Stat Stat)>(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            var reply = await c.GetDataAsync(path).WaitAsync(ServerRuns.OpTimeout);
            Assert.True(reply.Err == 0, $"{path} is missing (error {reply.Err})");
            dump[path] = reply.ReadGetData();
        }
        return dump;
    }

    private static void AssertSame(Dictionary<string, (byte[]? Data, Stat Stat)> expected, Dictionary<string, (byte[]? Data, Stat Stat)> actual, string where)
    {
        foreach (var (path, (data, stat)) in expected)
        {
            Assert.True(actual.ContainsKey(path), $"{where}: {path} is missing");
            Assert.True(RawClient.Utf8(data) == RawClient.Utf8(actual[path].Data), $"{where}: {path} holds '{RawClient.Utf8(actual[path].Data)}', expected '{RawClient.Utf8(data)}'");
            Assert.True(stat == actual[path].Stat, $"{where}: {path} has Stat {actual[path].Stat}, expected {stat}");
        }
    }
}
