// DurableStorage as a replica's IReplicaStorage on a real disk: epochs, truncating the open log, installing a snapshot, reopening.
using Coordinator.Host.Storage;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.Server.Configuration;
using Coordinator.StateMachine;
using Coordinator.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coordinator.Host.Tests;

public sealed class ReplicaStorageTests : IDisposable
{
    private const long Epoch1 = 1L << 32;
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"replica-{Guid.NewGuid():N}");

    private ServerSettings Settings => TestHost.Settings(_dataDir) with { AutopurgePurgeIntervalHours = 0 };

    private string Folder => Path.Combine(_dataDir, ZkFiles.VersionFolder);

    private DurableStorage OpenReplica() => DurableStorage.OpenReplica(Settings, NullLogger.Instance);

    [Fact]
    public void Replica_keeps_epochs_truncates_its_open_log_and_reopens_without_replay()
    {
        using (var storage = OpenReplica())
        {
            Assert.Equal((0L, 0, 0), (storage.SnapshotZxid, storage.AcceptedEpoch, storage.CurrentEpoch));
            Assert.Empty(storage.LogAfterSnapshot);
            // A fresh replica writes snapshot.0 and its derived epochs, as ZooKeeper does.
            Assert.True(File.Exists(Path.Combine(Folder, "snapshot.0")));
            Assert.Equal("0", File.ReadAllText(Path.Combine(Folder, "currentEpoch")));

            storage.SaveEpochs(1, 0);
            storage.SaveEpochs(1, 1);
            Assert.Throws<ArgumentException>(() => storage.SaveEpochs(1, 2));
            for (int i = 1; i <= 10; i++) Append(storage, Epoch1 | (uint)i, $"/n{i}");
            storage.Sync();
            // The writer's current file holds all ten: it is the one cut.
            storage.TruncateLogAfter(Epoch1 | 6);
            Append(storage, Epoch1 | 7, "/other7");
            Append(storage, Epoch1 | 8, "/other8");
            storage.Sync();
        }
        Assert.Equal(["log.100000001", "log.100000007"], LogFiles());

        using (var storage = OpenReplica())
        {
            Assert.Equal((1, 1), (storage.AcceptedEpoch, storage.CurrentEpoch));
            Assert.Equal(0, storage.SnapshotZxid);
            // Nothing is applied: the tree is the one in snapshot.0.
            Assert.Equal(new DataTree().NodeCount, storage.Tree.NodeCount);
            Assert.Null(storage.Tree.GetNode("/n1"));
            var logged = storage.LogAfterSnapshot.Select(e => ((CreateTxn)e.Txn).Path).ToList();
            Assert.Equal(["/n1", "/n2", "/n3", "/n4", "/n5", "/n6", "/other7", "/other8"], logged);
        }

        // The standalone start replays the same log.
        using (var standalone = DurableStorage.Open(Settings, NullLogger.Instance))
        {
            Assert.NotNull(standalone.Tree.GetNode("/other8"));
            Assert.Null(standalone.Tree.GetNode("/n7"));
            Assert.Equal(Epoch1 | 8, standalone.Tree.LastProcessedZxid);
        }
    }

    [Fact]
    public void Replica_installs_the_leaders_snapshot_over_its_log()
    {
        var leaderTree = new DataTree();
        using (var storage = OpenReplica())
        {
            for (int i = 1; i <= 5; i++) Append(storage, i, $"/old{i}");
            storage.Sync();

            for (int i = 1; i <= 3; i++) Apply(leaderTree, Epoch1 | (uint)i, $"/leader{i}");
            byte[] bytes = storage.SerializeSnapshot(leaderTree);
            var installed = storage.InstallSnapshot(Epoch1 | 3, bytes);
            Assert.Equal(Epoch1 | 3, installed.LastProcessedZxid);
            Assert.NotNull(installed.GetNode("/leader3"));
            Assert.Null(installed.GetNode("/old1"));
            Assert.Empty(LogFiles());

            Append(storage, Epoch1 | 4, "/leader4");
            storage.Sync();
        }
        Assert.Equal(["log.100000004"], LogFiles());

        using (var storage = OpenReplica())
        {
            Assert.Equal(Epoch1 | 3, storage.SnapshotZxid);
            Assert.NotNull(storage.Tree.GetNode("/leader3"));
            Assert.Null(storage.Tree.GetNode("/leader4"));
            Assert.Equal([Epoch1 | 4], storage.LogAfterSnapshot.Select(e => e.Header.Zxid));
            Assert.Throws<StorageException>(() => storage.InstallSnapshot(Epoch1 | 9, [1, 2, 3]));
            Assert.Equal(["log.100000004"], LogFiles());
        }
    }

    [Fact]
    public void Malformed_epoch_file_stops_the_replica_from_opening()
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Path.Combine(Folder, "acceptedEpoch"), "not a number");
        var e = Assert.Throws<StorageException>(() => OpenReplica());
        Assert.Contains("acceptedEpoch", e.Message);
    }

    [Fact]
    public void A_snapshot_stopped_by_a_truncation_leaves_no_file_and_the_next_one_starts()
    {
        using var storage = OpenReplica();
        var tree = storage.Tree;
        for (int i = 1; i <= 20_000; i++) Apply(tree, Epoch1 | (uint)i, $"/n{i}");
        int wakes = 0;
        // The loop's side: start, take one share, then the flusher's truncation stops the write midway.
        Assert.True(storage.TryStartSnapshot(tree, () => Interlocked.Increment(ref wakes)));
        Assert.False(storage.TryStartSnapshot(tree, () => { }));
        storage.TruncateLogAfter(0);
        Assert.Equal(["snapshot.0"], Directory.GetFiles(Folder, "snapshot.*").Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(Folder, ZkFiles.TempSnapshotPrefix + "*"));

        // The next snapshot ends the stopped capture first, then runs to the end as the loop pumps it.
        Apply(tree, Epoch1 | 20_001, "/late");
        using var woken = new SemaphoreSlim(0);
        Assert.True(storage.TryStartSnapshot(tree, () => woken.Release()));
        string expected = Path.Combine(Folder, ZkFiles.SnapshotName(Epoch1 | 20_001));
        for (int round = 0; !File.Exists(expected); round++)
        {
            Assert.True(round < 10_000, "the snapshot never completed");
            woken.Wait(TimeSpan.FromMilliseconds(50));
            storage.ContinueSnapshot();
        }
        Assert.True(wakes > 0);
        var written = SnapshotReader.Read(PhysicalDevice.Instance, expected);
        Assert.Equal(tree.NodeCount, written.Tree.NodeCount);
        Assert.Equal(TreeDigest.Of(tree), written.Digest!.Value.Digest);
    }

    private List<string> LogFiles() =>
        Directory.GetFiles(Folder, "log.*").Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToList();

    private static (TxnHeader, Txn) Create(long zxid, string path) =>
        (new TxnHeader(0x42, 1, zxid, 1_795_000_000_000 + zxid % 1000, (int)OpCode.Create), new CreateTxn(path, [1], Acl.OpenAclUnsafe, false, 1));

    private static void Append(DurableStorage storage, long zxid, string path)
    {
        var (header, txn) = Create(zxid, path);
        storage.Append(header, txn);
    }

    private static void Apply(DataTree tree, long zxid, string path)
    {
        var (header, txn) = Create(zxid, path);
        tree.Apply(header, txn);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDir)) Directory.Delete(_dataDir, recursive: true);
    }
}
