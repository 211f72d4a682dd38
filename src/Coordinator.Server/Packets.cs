// Frames outgoing packets: a 4-byte big-endian length, then the reply header (or connect response) and the body.
// Every packet lives in an array rented from the shared pool; whoever ends up holding it gives it back with
// Packets.Return (a connection once it has copied the bytes out), or leaves it to the GC when it is dropped.
using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Server;

public static class Packets
{
    [ThreadStatic] private static JuteWriter? _writer;

    private static JuteWriter Writer()
    {
        var w = _writer ??= new JuteWriter(4096);
        w.Reset();
        return w;
    }

    public static ReadOnlyMemory<byte> Reply(ReplyHeader header, IRecord? body)
    {
        var w = Writer();
        int at = w.ReserveLength();
        header.Write(w);
        body?.Write(w);
        w.PatchLength(at);
        return Rented(w.WrittenSpan);
    }

    public static ReadOnlyMemory<byte> Record(IRecord record)
    {
        var w = Writer();
        int at = w.ReserveLength();
        record.Write(w);
        w.PatchLength(at);
        return Rented(w.WrittenSpan);
    }

    /// <summary>Gives a packet made here back to the pool. Its bytes must not be read afterwards.</summary>
    public static void Return(ReadOnlyMemory<byte> packet)
    {
        // The pool hands out power-of-two lengths from 16 up and refuses other arrays; one it made bigger than its
        // largest bucket it silently drops.
        if (MemoryMarshal.TryGetArray(packet, out var segment) && segment.Array is { Length: >= 16 } array && BitOperations.IsPow2(array.Length))
            ArrayPool<byte>.Shared.Return(array);
    }

    private static ReadOnlyMemory<byte> Rented(ReadOnlySpan<byte> bytes)
    {
        var array = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(array);
        return new ReadOnlyMemory<byte>(array, 0, bytes.Length);
    }
}
