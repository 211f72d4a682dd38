// Adler-32, the checksum ZooKeeper puts in front of every txn log record and at the end of every snapshot.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Coordinator.Storage;

/// <summary>Running Adler-32 as java.util.zip.Adler32 computes it (starts at 1).</summary>
public struct Adler32
{
    private const uint Modulus = 65521;

    // The largest run of bytes whose sums cannot overflow 32 bits before the modulo (zlib's NMAX).
    private const int RunBytesMax = 5552;

    private uint _a;
    private uint _b;

    public static Adler32 Create() => new() { _a = 1, _b = 0 };

    public readonly long Value => ((long)_b << 16) | _a;

    public void Update(ReadOnlySpan<byte> bytes)
    {
        uint a = _a, b = _b;
        while (bytes.Length > 0)
        {
            int run = Math.Min(bytes.Length, RunBytesMax);
            int vectored = Vector128.IsHardwareAccelerated ? run & ~(VectorBytes - 1) : 0;
            if (vectored > 0) (a, b) = UpdateVectored(a, b, bytes[..vectored]);
            foreach (byte x in bytes[vectored..run])
            {
                a += x;
                b += a;
            }
            a %= Modulus;
            b %= Modulus;
            bytes = bytes[run..];
        }
        _a = a;
        _b = b;
    }

    private const int VectorBytes = 16;

    /// <summary>
    /// Sixteen bytes a step: a block x0..x15 adds Σx to a and 16·a + Σ(16−k)·x_k to b, so the step sums the bytes
    /// and their weighted sum in vector lanes, and b gets 16 times the byte sums of all earlier blocks at the end.
    /// <paramref name="bytes"/> is a whole number of blocks, at most <see cref="RunBytesMax"/>, so no lane can
    /// overflow; the result is reduced.
    /// </summary>
    private static (uint A, uint B) UpdateVectored(uint a, uint b, ReadOnlySpan<byte> bytes)
    {
        var weightsLow = Vector128.Create((ushort)16, 15, 14, 13, 12, 11, 10, 9);
        var weightsHigh = Vector128.Create((ushort)8, 7, 6, 5, 4, 3, 2, 1);
        var sums = Vector128<uint>.Zero;          // Σx of the blocks so far
        var earlierSums = Vector128<uint>.Zero;   // Σ over blocks of the byte sums before each
        var weighted = Vector128<uint>.Zero;      // Σ over blocks of Σ(16−k)·x_k
        ref byte start = ref MemoryMarshal.GetReference(bytes);
        for (int i = 0; i < bytes.Length; i += VectorBytes)
        {
            var (low, high) = Vector128.Widen(Vector128.LoadUnsafe(ref start, (nuint)i));
            earlierSums += sums;
            var (s1, s2) = Vector128.Widen(low + high);
            sums += s1 + s2;
            var (w1, w2) = Vector128.Widen(low * weightsLow + high * weightsHigh);
            weighted += w1 + w2;
        }
        ulong newA = a + (ulong)Vector128.Sum(sums);
        ulong newB = b + (ulong)bytes.Length * a + VectorBytes * (ulong)Vector128.Sum(earlierSums) + Vector128.Sum(weighted);
        return ((uint)(newA % Modulus), (uint)(newB % Modulus));
    }

    public static long Of(ReadOnlySpan<byte> bytes)
    {
        var adler = Create();
        adler.Update(bytes);
        return adler.Value;
    }
}
