// Appending txns to the log and flushing them as one group commit (on an in-memory device: the CPU side only).
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

    private MemoryDevice _device = null!;
    private TxnLogWriter _writer = null!;
    private long _zxid;
    private readonly byte[] _value = new byte[100];

    [IterationSetup]
    public void Setup()
    {
        _device = new MemoryDevice();
        _writer = new TxnLogWriter(_device, "/mem/version-2", new TxnLogOptions { ForceSync = false });
    }

    [IterationCleanup]
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
