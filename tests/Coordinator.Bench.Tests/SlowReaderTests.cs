// The load generator against a server that stops reading: its sends must not block the thread that queued them
// (it may be a socket event thread), and every request must still go out and get its answer once the server reads.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Bench.Tests;

public sealed class SlowReaderTests
{
    private static readonly List<Acl> Open = [.. Acl.OpenAclUnsafe];
    private const int Requests = 48;

    [Fact]
    public async Task RequestsQueuedWhileTheServerIsNotReadingAllGoOutAndAreAnswered()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var reading = new SemaphoreSlim(0);
        var server = Task.Run(() => ServeAsync(listener, reading, Requests));

        await using var c = await BenchConnection.OpenAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndPoint!).Port, 30000, CancellationToken.None);
        // Requests of 512 KiB: far more than the two socket buffers hold while the server does not read.
        var value = new byte[512 * 1024];
        var queuing = Task.Run(() => Enumerable.Range(0, Requests)
            .Select(i => c.CallAsync(new CreateRequest(OpCode.Create, $"/big-{i}", value, Open, 0))).ToList());
        var calls = await queuing.WaitAsync(TimeSpan.FromSeconds(10)); // queuing returned: nothing blocked on the full socket
        reading.Release();
        var errors = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(errors, e => Assert.Equal(0, e));
        Assert.Equal(Requests, await server.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>Answers the handshake, waits for the signal, then answers <paramref name="expected"/> requests ok; returns how many it answered.</summary>
    private static async Task<int> ServeAsync(Socket listener, SemaphoreSlim reading, int expected)
    {
        using var s = await listener.AcceptAsync();
        var connect = await ReadFrameAsync(s) ?? throw new IOException("no connect request");
        Assert.True(connect.Length > 0);
        using (var w = new JuteWriter())
        {
            int at = w.ReserveLength();
            new ConnectResponse(0, 30000, 42, new byte[16], false).Write(w);
            w.PatchLength(at);
            await s.SendAsync(w.WrittenMemory);
        }
        if (!await reading.WaitAsync(TimeSpan.FromSeconds(30))) throw new TimeoutException("never told to read");
        int answered = 0;
        while (answered < expected && await ReadFrameAsync(s) is { } frame)
        {
            int xid = BinaryPrimitives.ReadInt32BigEndian(frame);
            using var w = new JuteWriter();
            int at = w.ReserveLength();
            new ReplyHeader(xid, answered + 1, 0).Write(w);
            w.PatchLength(at);
            await s.SendAsync(w.WrittenMemory);
            answered++;
        }
        return answered;
    }

    private static async Task<byte[]?> ReadFrameAsync(Socket s)
    {
        var len = new byte[4];
        if (!await FillAsync(s, len)) return null;
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(len)];
        return await FillAsync(s, frame) ? frame : null;
    }

    private static async Task<bool> FillAsync(Socket s, Memory<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            int n = await s.ReceiveAsync(buffer);
            if (n == 0) return false;
            buffer = buffer[n..];
        }
        return true;
    }
}
