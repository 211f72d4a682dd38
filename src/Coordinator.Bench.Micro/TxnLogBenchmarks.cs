// Appending txns to the log and flushing them as one group commit, on a device that discards the bytes: the CPU
// side only (record encoding, checksums, buffering), not the disk.
using BenchmarkDotNet.Attributes;
using Coordinator.Jute.Records;
using Coordinator.StateMachine;
using Coordinator.Storage;

namespace Coordinator.Bench.Micro;

[MemoryDiagnoser]
public class TxnLogBenchmarks
{
    private static readonly IReadOnlyList<Acl> Open = Acl.OpenAclUnsafe;

    [Params(1, 64)]
    public int BatchSize { get; set; }

    private TxnLogWriter _writer = null!;
    private long _zxid;
    private readonly byte[] _value = new byte[100];

    [GlobalSetup]
    public void Setup() => _writer = new TxnLogWriter(new DiscardDevice(), "/discard/version-2", new TxnLogOptions { ForceSync = false });

    [GlobalCleanup]
    public void Cleanup() => _writer.Dispose();

    [Benchmark]
    public long AppendBatchAndFlush()
    {
        for (int i = 0; i < BatchSize; i++)
        {
            long zxid = ++_zxid;
            _writer.Append(new TxnHeader(0x1234, i, zxid, 1_700_000_000_000, 1), new CreateTxn($"/bench/c/n{zxid}", _value, Open, false, 1));
        }
        return _writer.Flush();
    }
}

/// <summary>A device that keeps no bytes: files have a length and nothing else.</summary>
internal sealed class DiscardDevice : IStorageDevice
{
    public bool DirectoryExists(string directory) => true;
    public void CreateDirectory(string directory) { }
    public IReadOnlyList<string> ListFiles(string directory) => [];
    public bool FileExists(string path) => false;
    public long FileLength(string path) => 0;
    public Stream OpenRead(string path) => Stream.Null;
    public IDeviceFile Create(string path) => new DiscardFile();
    public IDeviceFile OpenWrite(string path) => new DiscardFile();
    public void Delete(string path) { }
    public void Move(string source, string destination) { }
    public void SyncDirectory(string directory) { }

    private sealed class DiscardFile : IDeviceFile
    {
        public long Length { get; private set; }
        public void Write(long offset, ReadOnlySpan<byte> bytes) => Length = Math.Max(Length, offset + bytes.Length);
        public void SetLength(long length) => Length = length;
        public void Sync() { }
        public void Dispose() { }
    }
}
