// Carries a TreeCapture's nodes from the thread that owns the tree to the snapshot writer, a few chunks at a time.
using System.Collections.Concurrent;
using Coordinator.StateMachine;

namespace Coordinator.Storage;

/// <summary>
/// The owner of the tree (the server loop) calls <see cref="Pump"/> whenever it is asked to through
/// <c>wake</c>; each call fills one free chunk from the capture and passes it on. The writer thread reads the
/// chunks in order (<see cref="Chunks"/>) and gives each back once written, which wakes the loop again. Memory is
/// bounded by the chunks (a few thousand nodes each), whatever the tree's size; the loop never blocks, and
/// never spins while the writer is behind (it is woken when a chunk comes back).
/// </summary>
public sealed class CapturePipe
{
    /// <summary>Nodes per chunk: one <see cref="Pump"/> takes this many from the tree (about a millisecond's work).</summary>
    public const int ChunkNodesDefault = 4096;
    private const int ChunkCount = 4;

    private readonly TreeCapture _capture;
    private readonly Action _wake;
    private readonly ConcurrentQueue<NodeImage[]> _free = new();
    private readonly BlockingCollection<(NodeImage[] Chunk, int Count)> _full = new(ChunkCount);
    private volatile bool _closed;
    private bool _finished;

    /// <param name="wake">Asks the owner of the tree to call <see cref="Pump"/> soon; called from any thread.</param>
    public CapturePipe(TreeCapture capture, Action wake, int chunkNodes = ChunkNodesDefault)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkNodes, 1);
        _capture = capture;
        _wake = wake;
        for (int i = 0; i < ChunkCount; i++) _free.Enqueue(new NodeImage[chunkNodes]);
    }

    public TreeCapture Capture => _capture;

    /// <summary>
    /// On the tree's owner: passes on the next chunk of nodes if the writer has room; true once the pipe is done
    /// with the tree (every node handed on, or the write stopped and the capture was ended).
    /// </summary>
    public bool Pump()
    {
        if (_finished) return true;
        if (_closed || _capture.Abandoned)
        {
            // The writer gave up (failure or cancellation), or the tree was replaced: stop preserving nodes for it.
            _capture.Dispose();
            _full.CompleteAdding();
            return _finished = true;
        }
        if (!_free.TryDequeue(out var chunk)) return false; // the writer wakes us when it gives one back
        int count = _capture.Take(chunk);
        if (count == 0)
        {
            _free.Enqueue(chunk);
            _full.CompleteAdding();
            return _finished = true;
        }
        _full.Add((chunk, count));
        if (!_free.IsEmpty) _wake();
        return false;
    }

    /// <summary>
    /// On the writer: the captured nodes in order, chunk by chunk; each chunk is reused once the next is asked
    /// for. Throws <see cref="OperationCanceledException"/> when cancelled or when the capture was abandoned.
    /// </summary>
    public IEnumerable<ReadOnlyMemory<NodeImage>> Chunks(CancellationToken cancellation)
    {
        foreach (var (chunk, count) in _full.GetConsumingEnumerable(cancellation))
        {
            yield return chunk.AsMemory(0, count);
            chunk.AsSpan(0, count).Clear();
            _free.Enqueue(chunk);
            _wake();
        }
        if (!_capture.Completed) throw new OperationCanceledException("the capture ended before every node was taken");
    }

    /// <summary>On the writer, when it stops (done, failed or cancelled): the next <see cref="Pump"/> releases the capture.</summary>
    public void Close()
    {
        _closed = true;
        _wake();
    }
}
