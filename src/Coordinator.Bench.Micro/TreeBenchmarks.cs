// The data tree's hot paths on a tree of 100,000 znodes: preparing and applying writes, reading, capturing a snapshot image.
using BenchmarkDotNet.Attributes;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.StateMachine;
using Coordinator.Storage;

namespace Coordinator.Bench.Micro;

[MemoryDiagnoser]
public class TreeBenchmarks
{
    private const int Znodes = 100_000;
    private static readonly List<Acl> Open = [.. Acl.OpenAclUnsafe];
    private static readonly RequestSession Session = new(0x1234, [new Id("ip", "127.0.0.1")]);

    private DataTree _tree = null!;
    private Preprocessor _prep = null!;
    private ReadProcessor _reads = null!;
    private long _zxid;
    private int _next;
    private readonly byte[] _value = new byte[100];

    [GlobalSetup]
    public void Setup()
    {
        _tree = new DataTree();
        _prep = new Preprocessor(_tree, new PrepSettings(false, 1 << 20));
        _reads = new ReadProcessor(_tree);
        Apply(new CreateRequest(OpCode.Create, "/bench", [], Open, 0));
        for (int i = 0; i < Znodes; i++) Apply(new CreateRequest(OpCode.Create, $"/bench/n{i}", _value, Open, 0));
    }

    private ProcessTxnResult Apply(Request request)
    {
        var prep = _prep.Prep(Session, request);
        if (prep.Txn is null) throw new InvalidOperationException($"{request.Op} failed: {prep.Err}");
        return _tree.Apply(new TxnHeader(Session.SessionId, 1, ++_zxid, 1_700_000_000_000, prep.Type), prep.Txn);
    }

    [Benchmark]
    public ProcessTxnResult PrepareAndApplyCreate() => Apply(new CreateRequest(OpCode.Create, $"/bench/x{_next++}", _value, Open, 0));

    [Benchmark]
    public ProcessTxnResult PrepareAndApplySetData() => Apply(new SetDataRequest($"/bench/n{_next++ % Znodes}", _value, -1));

    /// <summary>The only part of a snapshot that runs on the server loop (the pause requests see).</summary>
    [Benchmark]
    public SnapshotImage CaptureSnapshotImage() => SnapshotImage.Capture(_tree, _zxid);

    [Benchmark]
    public ReadResult GetData() => _reads.Execute(Session, new PathWatchRequest(OpCode.GetData, $"/bench/n{_next++ % Znodes}", false));
}
