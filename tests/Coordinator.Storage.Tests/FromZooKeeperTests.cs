// Interchange, ZooKeeper → Coordinator: a dataDir written by a real Apache ZooKeeper 3.8 loads into our DataTree unchanged.
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

/// <summary>
/// Once per test class: start Debian's ZooKeeper on an empty dataDir with a small snapCount (so it writes
/// several snapshots and logs), make znodes of every kind through kazoo, dump what the server serves, and kill
/// it without closing the session (its ephemerals stay in the files).
/// </summary>
public sealed class ZooKeeperWrittenDataDir : IAsyncLifetime
{
    private readonly TempDir _temp = new("from-zk");
    private string? _failure;

    public string DataDir => Path.Combine(_temp.Path, "data");

    public string WorkDir => _temp.Path;

    public List<Znode> Dump { get; private set; } = [];

    public string ServerOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDir);
        try
        {
            await using var zk = await ApacheZooKeeper.StartAsync(DataDir, _temp.Path, snapCount: 10);
            try
            {
                Dump = await ZnodeDump.RunDriverAsync("populate", zk.Port, _temp.Path);
                await WaitUntilFilesSettleAsync(Path.Combine(DataDir, ZkFiles.VersionFolder));
            }
            finally
            {
                ServerOutput = zk.Output;
            }
        }
        catch (Exception e)
        {
            _failure = e.ToString();
        }
    }

    public void EnsureReady()
    {
        if (_failure is not null) Assert.Fail($"could not make a ZooKeeper dataDir: {_failure}\n--- server ---\n{ServerOutput}");
    }

    /// <summary>ZooKeeper snapshots in a background thread; wait until the folder stops changing so the kill cuts nothing.</summary>
    private static async Task WaitUntilFilesSettleAsync(string folder)
    {
        string previous = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            string now = string.Join(";", new DirectoryInfo(folder).GetFiles().OrderBy(f => f.Name).Select(f => $"{f.Name}:{f.Length}"));
            if (now == previous) return;
            previous = now;
            await Task.Delay(300);
        }
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class FromZooKeeperTests(ZooKeeperWrittenDataDir zk) : IClassFixture<ZooKeeperWrittenDataDir>
{
    [Fact]
    public void ZooKeeperWroteSeveralSnapshotsAndLogs()
    {
        zk.EnsureReady();
        string folder = Path.Combine(zk.DataDir, ZkFiles.VersionFolder);
        Assert.True(ZkFiles.List(PhysicalDevice.Instance, folder, ZkFiles.SnapshotPrefix).Count >= 3);
        Assert.True(ZkFiles.List(PhysicalDevice.Instance, folder, ZkFiles.LogPrefix).Count >= 3);
    }

    [Fact]
    public void NewestSnapshotPlusLogsGiveExactlyTheTreeZooKeeperServed()
    {
        zk.EnsureReady();
        using var temp = new TempDir("zk-copy");
        TempDir.CopySparse(zk.DataDir, temp.Path);
        var state = Recovery.Load(temp.Path);

        // No warning means every digest ZooKeeper recorded (snapshot trailer, last txn) matches our tree.
        Assert.True(state.Warnings.Count == 0, string.Join("\n", state.Warnings));
        Assert.NotNull(state.SnapshotFile);
        Assert.NotEqual("snapshot.0", Path.GetFileName(state.SnapshotFile));
        ZnodeDump.AssertMatches(zk.Dump, state.Tree);
        AssertSessionsOwnTheirEphemerals(state.Tree);
    }

    [Fact]
    public void ReplayingEveryZooKeeperLogFromTheFirstSnapshotGivesTheSameTree()
    {
        zk.EnsureReady();
        using var temp = new TempDir("zk-replay");
        TempDir.CopySparse(zk.DataDir, temp.Path, name => !name.StartsWith("snapshot.", StringComparison.Ordinal) || name == "snapshot.0");
        var state = Recovery.Load(temp.Path);

        Assert.True(state.Warnings.Count == 0, string.Join("\n", state.Warnings));
        Assert.Equal("snapshot.0", Path.GetFileName(state.SnapshotFile));
        Assert.Equal(state.LastZxid, state.TxnsReplayed);
        ZnodeDump.AssertMatches(zk.Dump, state.Tree);
        AssertSessionsOwnTheirEphemerals(state.Tree);
    }

    [Fact]
    public void EverySnapshotZooKeeperWroteLoadsAndMatchesItsDigest()
    {
        zk.EnsureReady();
        string folder = Path.Combine(zk.DataDir, ZkFiles.VersionFolder);
        // ZooKeeper's snapshots are fuzzy: the tree in the file may hold changes after the zxid its digest is for,
        // so the digest is checked against a replica built from snapshot.0 plus the log up to that zxid.
        var replica = SnapshotReader.Read(PhysicalDevice.Instance, Path.Combine(folder, "snapshot.0")).Tree;
        var log = new TxnLogReader(PhysicalDevice.Instance, folder).ReadFrom(1).GetEnumerator();
        int checkedDigests = 0;
        foreach (var (path, zxid) in ZkFiles.List(PhysicalDevice.Instance, folder, ZkFiles.SnapshotPrefix))
        {
            var snapshot = SnapshotReader.Read(PhysicalDevice.Instance, path);
            Assert.Equal(zxid, snapshot.Zxid);
            Assert.NotNull(snapshot.Digest);
            var (digestZxid, _, digest) = snapshot.Digest.Value;
            if (digestZxid == 0) continue; // ZooKeeper's empty digest before any txn
            while (replica.LastProcessedZxid < digestZxid)
            {
                Assert.True(log.MoveNext(), $"the log ends before zxid 0x{digestZxid:x}");
                replica.Apply(log.Current.Entry.Header, log.Current.Entry.Txn);
            }
            Assert.True(digest == TreeDigest.Of(replica), $"{Path.GetFileName(path)}: digest at 0x{digestZxid:x} differs");
            checkedDigests++;
        }
        Assert.True(checkedDigests >= 2, $"only {checkedDigests} snapshots carried a digest");
    }

    [Fact]
    public void EveryZooKeeperLogRecordReadsAndReencodesByteForByte()
    {
        zk.EnsureReady();
        var reader = new TxnLogReader(PhysicalDevice.Instance, Path.Combine(zk.DataDir, ZkFiles.VersionFolder));
        var kinds = new HashSet<int>();
        int count = 0;
        foreach (var logged in reader.ReadFrom(0))
        {
            kinds.Add(logged.Entry.Header.Type);
            using var stream = File.OpenRead(logged.File);
            stream.Position = logged.Offset + TxnLogFormat.RecordPrefixBytes;
            byte[] original = TxnSerializer.Serialize(logged.Entry);
            byte[] onDisk = new byte[original.Length];
            stream.ReadExactly(onDisk);
            Assert.Equal(onDisk, original);
            count++;
        }
        Assert.Null(reader.TailDamage);
        Assert.True(count > 50);
        // createSession, create, create2-less kazoo creates, createContainer, createTTL, setData, setACL, delete, multi, error, closeSession
        Assert.Superset(new HashSet<int> { -10, -11, -1, 1, 2, 5, 7, 14, 19, 21 }, kinds);
    }

    [Fact]
    public void OurSnapshotOfAFreshTreeIsByteIdenticalToZooKeepersFirstSnapshot()
    {
        zk.EnsureReady();
        var device = new MemoryDevice();
        string ours = SnapshotWriter.Write(device, "/mem/version-2", new DataTree(), 0);
        Assert.Equal(File.ReadAllBytes(Path.Combine(zk.DataDir, ZkFiles.VersionFolder, "snapshot.0")), device.ReadAllBytes(ours));
    }

    private static void AssertSessionsOwnTheirEphemerals(DataTree tree)
    {
        Assert.NotEmpty(tree.Ephemerals);
        foreach (long owner in tree.Ephemerals.Keys) Assert.Equal(30000, tree.Sessions[owner]);
    }
}
