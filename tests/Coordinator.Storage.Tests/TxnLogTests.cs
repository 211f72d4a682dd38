// TxnLogWriter and TxnLogReader: layout, group commit, preallocation, rolling, reading from a zxid across files.
using System.Buffers.Binary;
using Coordinator.StateMachine;

namespace Coordinator.Storage.Tests;

public sealed class TxnLogTests
{
    private const string Folder = "/mem/data/version-2";
    private static readonly TxnLogOptions SmallPrealloc = new() { PreallocBytes = 8192 };

    [Fact]
    public void WrittenTxnsReadBackInOrderWithDigests()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        using (var writer = new TxnLogWriter(device, Folder, SmallPrealloc))
        {
            foreach (var e in script.Entries) writer.Append(e);
            Assert.Equal(script.LastZxid, writer.Flush());
        }
        var read = new TxnLogReader(device, Folder).ReadFrom(0).ToList();
        Assert.Equal(script.Entries.Select(TxnSerializer.Serialize), read.Select(r => TxnSerializer.Serialize(r.Entry)));
        Assert.All(read, r => Assert.Equal(Path.GetFullPath(Path.Combine(Folder, "log.1")), Path.GetFullPath(r.File)));
    }

    [Fact]
    public void FileStartsWithZooKeeperHeaderAndRecordsAreFramed()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything(0);
        using (var writer = new TxnLogWriter(device, Folder, new TxnLogOptions { PreallocBytes = 0 }))
        {
            writer.Append(script.Entries[0]);
            writer.Flush();
        }
        byte[] file = device.ReadAllBytes(Path.Combine(Folder, "log.1"));
        Assert.Equal("ZKLG"u8.ToArray(), file[..4]);
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(4)));
        Assert.Equal(0, BinaryPrimitives.ReadInt64BigEndian(file.AsSpan(8)));
        byte[] txn = TxnSerializer.Serialize(script.Entries[0]);
        Assert.Equal(Adler32.Of(txn), BinaryPrimitives.ReadInt64BigEndian(file.AsSpan(16)));
        Assert.Equal(txn.Length, BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(24)));
        Assert.Equal(txn, file[28..(28 + txn.Length)]);
        Assert.Equal((byte)'B', file[28 + txn.Length]);
        Assert.Equal(28 + txn.Length + 1, file.Length);
    }

    [Fact]
    public void FlushIsOneSyncForAllAppendsSinceTheLast()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        using var writer = new TxnLogWriter(device, Folder, SmallPrealloc);
        for (int i = 0; i < 10; i++) writer.Append(script.Entries[i]);
        Assert.Equal(10, writer.PendingCount);
        Assert.Equal(-1, writer.DurableZxid);
        int before = device.SyncCount;
        Assert.Equal(10, writer.Flush());
        Assert.Equal(before + 1, device.SyncCount);
        Assert.Equal(0, writer.PendingCount);
        writer.Flush();
        Assert.Equal(before + 1, device.SyncCount); // nothing pending, no sync
    }

    [Fact]
    public void NothingIsVisibleOnDiskBeforeFlush()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        using var writer = new TxnLogWriter(device, Folder, SmallPrealloc);
        writer.Append(script.Entries[0]);
        writer.Flush();
        writer.Append(script.Entries[1]);
        Assert.Single(new TxnLogReader(device, Folder).ReadFrom(0));
    }

    [Fact]
    public void PreallocatesInStepsAndZerosMarkTheEnd()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything(60);
        using var writer = new TxnLogWriter(device, Folder, new TxnLogOptions { PreallocBytes = 4096 });
        writer.Append(script.Entries[0]);
        writer.Flush();
        string file = writer.CurrentFile!;
        long first = device.FileLength(file);
        Assert.Equal(0, (first - 16) % 4096); // whole steps after the header, as ZooKeeper's 64 MiB + 16
        foreach (var e in script.Entries.Skip(1)) writer.Append(e);
        writer.Flush();
        long length = device.FileLength(file);
        Assert.Equal(0, (length - 16) % 4096);
        Assert.True(length > first);
        Assert.Equal(script.Entries.Count, new TxnLogReader(device, Folder).ReadFrom(0).Count());
    }

    [Fact]
    public void DefaultPreallocationIsZooKeepers64MiBPlusHeader()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"st-prealloc-{Guid.NewGuid():N}");
        try
        {
            using (var writer = new TxnLogWriter(PhysicalDevice.Instance, dir))
            {
                writer.Append(TxnScript.Everything(0).Entries[0]);
                writer.Flush();
            }
            Assert.Equal(64L * 1024 * 1024 + 16, new FileInfo(Path.Combine(dir, "log.1")).Length);
            Assert.Single(new TxnLogReader(PhysicalDevice.Instance, dir).ReadFrom(0));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void RollStartsANewFileNamedByItsFirstZxidAndReadsSpanFiles()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        using (var writer = new TxnLogWriter(device, Folder, SmallPrealloc))
        {
            for (int i = 0; i < script.Entries.Count; i++)
            {
                if (i == 10 || i == 25) writer.Roll();
                writer.Append(script.Entries[i]);
            }
            writer.Flush();
        }
        var reader = new TxnLogReader(device, Folder);
        Assert.Equal([1L, 11L, 26L], reader.Files().Select(f => f.Zxid));
        Assert.Equal(Enumerable.Range(1, script.Entries.Count).Select(i => (long)i), reader.ReadFrom(0).Select(t => t.Entry.Header.Zxid));
        Assert.Equal(Enumerable.Range(20, script.Entries.Count - 19).Select(i => (long)i), reader.ReadFrom(20).Select(t => t.Entry.Header.Zxid));
        Assert.Equal("log.1a", Path.GetFileName(reader.ReadFrom(27).First().File));
        Assert.Null(reader.TailDamage);
    }

    [Fact]
    public void SizeLimitRollsAutomatically()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything(40);
        using (var writer = new TxnLogWriter(device, Folder, new TxnLogOptions { PreallocBytes = 0, SizeLimitBytes = 1000 }))
        {
            foreach (var e in script.Entries)
            {
                writer.Append(e);
                writer.Flush();
            }
        }
        var reader = new TxnLogReader(device, Folder);
        Assert.True(reader.Files().Count > 3);
        Assert.All(reader.Files(), f => Assert.True(device.FileLength(f.Path) < 1000 + 200));
        Assert.Equal(script.Entries.Count, reader.ReadFrom(0).Count());
    }

    [Fact]
    public void ZxidsMustGrow()
    {
        var device = new MemoryDevice();
        var script = TxnScript.Everything();
        using var writer = new TxnLogWriter(device, Folder, SmallPrealloc);
        writer.Append(script.Entries[3]);
        Assert.Throws<InvalidOperationException>(() => writer.Append(script.Entries[3]));
        Assert.Throws<InvalidOperationException>(() => writer.Append(script.Entries[1]));
    }

    [Fact]
    public void NotALogIsRefusedWithFileAndOffset()
    {
        var device = new MemoryDevice();
        device.CreateDirectory(Folder);
        device.WriteAllBytes(Path.Combine(Folder, "log.1"), [.. "NOPE"u8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
        var e = Assert.Throws<StorageException>(() => new TxnLogReader(device, Folder).ReadFrom(0).ToList());
        Assert.Contains("magic", e.Message);
        Assert.Equal(0, e.Offset);
    }
}
