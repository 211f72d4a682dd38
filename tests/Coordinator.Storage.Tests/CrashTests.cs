// Power cuts and damaged files: lost or torn unsynced writes, truncated and flipped bytes in the last log and older ones.
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

public sealed class CrashTests
{
    private const string DataDir = "/mem/data";
    private static readonly string Folder = Path.Combine(DataDir, ZkFiles.VersionFolder);

    /// <summary>
    /// Property: whatever a crash tears, recovery never loses a flushed txn and never invents one: the tree is
    /// exactly the reference tree after some prefix of the appended txns, at least as long as the flushed part.
    /// Every seed is a different interleaving of batches, rolls and the cut.
    /// </summary>
    [Fact]
    public void TornWritesNeverLoseFlushedTxns()
    {
        var script = TxnScript.Everything(12);
        var prefixes = PrefixTrees(script);
        int tornTails = 0, lostUnflushed = 0;
        for (int seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var device = new MemoryDevice();
            SnapshotWriter.Write(device, Folder, new DataTree(), 0);
            long durable = 0;
            int stopAt = random.Next(1, script.Entries.Count + 1);
            // The writer is abandoned, not disposed: a crashed process flushes nothing more.
            var writer = new TxnLogWriter(device, Folder, new TxnLogOptions { PreallocBytes = random.Next(2) * 1024 });
            int i = 0;
            while (i < stopAt)
            {
                int batch = Math.Min(random.Next(1, 5), stopAt - i);
                for (int k = 0; k < batch; k++) writer.Append(script.Entries[i++]);
                if (i < stopAt || random.Next(2) == 0) durable = Math.Max(durable, writer.Flush());
                if (random.Next(8) == 0) writer.Roll();
            }
            device.Crash(random);

            var state = Recovery.Load(device, DataDir, DataDir);
            string context = $"seed {seed}: durable 0x{durable:x}, recovered 0x{state.LastZxid:x}, warnings: {string.Join("; ", state.Warnings)}";
            Assert.True(state.LastZxid >= durable, context);
            if (state.Warnings.Any(w => w.Message.Contains("torn tail", StringComparison.Ordinal))) tornTails++;
            if (state.LastZxid < stopAt) lostUnflushed++;
            TreeAssert.Equal(prefixes[(int)state.LastZxid], state.Tree);

            // Recovery repaired the log: a second load is clean and identical.
            var again = Recovery.Load(device, DataDir, DataDir);
            Assert.True(again.Warnings.Count == 0, context + " / second load: " + string.Join("; ", again.Warnings));
            Assert.Equal(state.LastZxid, again.LastZxid);
        }
        // The seeds must actually exercise torn tails and lost writes, or the property proves nothing.
        Assert.True(tornTails > 15 && lostUnflushed > 30, $"torn tails {tornTails}, lost unflushed {lostUnflushed}");
    }

    [Fact]
    public void UnsyncedTxnsAreLostCleanly()
    {
        var script = TxnScript.Everything();
        var device = new MemoryDevice();
        SnapshotWriter.Write(device, Folder, new DataTree(), 0);
        var writer = new TxnLogWriter(device, Folder, new TxnLogOptions { PreallocBytes = 4096 });
        for (int i = 0; i < 10; i++) writer.Append(script.Entries[i]);
        writer.Flush();
        for (int i = 10; i < 20; i++) writer.Append(script.Entries[i]);
        writer.Flush();
        for (int i = 20; i < 30; i++) writer.Append(script.Entries[i]);
        device.Crash(); // abandoned, not disposed: a crashed process flushes nothing more
        var state = Recovery.Load(device, DataDir, DataDir);
        Assert.Equal(20, state.LastZxid);
        Assert.Empty(state.Warnings);
    }

    [Fact]
    public void TruncatedLastLogIsCutAtTheLastWholeRecordWithAWarning()
    {
        WithPhysicalDataDir((dataDir, script) =>
        {
            string log = Path.Combine(dataDir, ZkFiles.VersionFolder, "log.b");
            var records = RecordOffsets(log);
            long cut = records[^1] + 20; // in the middle of the last record
            using (var f = new FileStream(log, FileMode.Open)) f.SetLength(cut);

            var state = Recovery.Load(dataDir);
            var warning = Assert.Single(state.Warnings);
            Assert.Equal(log, warning.File);
            Assert.Equal(records[^1], warning.Offset);
            Assert.Contains("torn tail", warning.Message);
            Assert.Equal(script.LastZxid - 1, state.LastZxid);
            Assert.Equal(records[^1], new FileInfo(log).Length);
            Assert.Empty(Recovery.Load(dataDir).Warnings);
        });
    }

    [Fact]
    public void FlippedByteInTheLastRecordIsATornTail()
    {
        WithPhysicalDataDir((dataDir, script) =>
        {
            string log = Path.Combine(dataDir, ZkFiles.VersionFolder, "log.b");
            var records = RecordOffsets(log);
            FlipByte(log, records[^1] + 30);
            var state = Recovery.Load(dataDir);
            var warning = Assert.Single(state.Warnings);
            Assert.Equal(records[^1], warning.Offset);
            Assert.Contains("checksum mismatch", warning.Message);
            Assert.Equal(script.LastZxid - 1, state.LastZxid);
        });
    }

    [Fact]
    public void FlippedByteFollowedByGoodRecordsIsCorruptionNotATornTail()
    {
        WithPhysicalDataDir((dataDir, _) =>
        {
            string log = Path.Combine(dataDir, ZkFiles.VersionFolder, "log.b");
            var records = RecordOffsets(log);
            FlipByte(log, records[2] + 30);
            long before = new FileInfo(log).Length;
            var e = Assert.Throws<StorageException>(() => Recovery.Load(dataDir));
            Assert.Equal(log, e.File);
            Assert.Equal(records[2], e.Offset);
            Assert.Contains("damaged in place", e.Message);
            Assert.Equal(before, new FileInfo(log).Length); // nothing was cut
        });
    }

    [Fact]
    public void DamageInAnOlderLogIsCorruption()
    {
        WithPhysicalDataDir((dataDir, _) =>
        {
            // Load from the older snapshot so the older log is needed.
            File.Delete(Path.Combine(dataDir, ZkFiles.VersionFolder, "snapshot.a"));
            string log = Path.Combine(dataDir, ZkFiles.VersionFolder, "log.1");
            var records = RecordOffsets(log);
            using (var f = new FileStream(log, FileMode.Open)) f.SetLength(records[^1] + 5);
            var e = Assert.Throws<StorageException>(() => Recovery.Load(dataDir));
            Assert.Equal(log, e.File);
            Assert.Contains("not the newest", e.Message);
        });
    }

    [Fact]
    public void LastLogWithOnlyAPartialHeaderIsRemoved()
    {
        WithPhysicalDataDir((dataDir, script) =>
        {
            string log = Path.Combine(dataDir, ZkFiles.VersionFolder, ZkFiles.LogName(script.LastZxid + 1));
            File.WriteAllBytes(log, "ZKL"u8.ToArray());
            var state = Recovery.Load(dataDir);
            Assert.Single(state.Warnings);
            Assert.False(File.Exists(log));
            Assert.Equal(script.LastZxid, state.LastZxid);
        });
    }

    /// <summary>A physical dataDir: snapshot.0, log.1 (zxids 1..10), snapshot.a, log.b (11..end), default preallocation.</summary>
    private static void WithPhysicalDataDir(Action<string, TxnScript> test)
    {
        string dataDir = Path.Combine(Path.GetTempPath(), $"st-crash-{Guid.NewGuid():N}");
        try
        {
            var script = TxnScript.Everything();
            RecoveryTests.Persist(PhysicalDevice.Instance, dataDir, script, 10);
            test(dataDir, script);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static List<long> RecordOffsets(string log) =>
        new TxnLogReader(PhysicalDevice.Instance, Path.GetDirectoryName(log)!).ReadFrom(0)
            .Where(t => t.File == log).Select(t => t.Offset).ToList();

    private static void FlipByte(string path, long offset)
    {
        using var f = new FileStream(path, FileMode.Open);
        f.Position = offset;
        int b = f.ReadByte();
        f.Position = offset;
        f.WriteByte((byte)(b ^ 0x40));
    }

    /// <summary>Reference trees: index z is the tree after applying the first z txns.</summary>
    private static List<DataTree> PrefixTrees(TxnScript script)
    {
        var trees = new List<DataTree> { new() };
        for (int n = 1; n <= script.Entries.Count; n++)
        {
            var tree = new DataTree();
            foreach (var e in script.Entries.Take(n)) tree.Apply(e.Header, e.Txn);
            trees.Add(tree);
        }
        return trees;
    }
}
