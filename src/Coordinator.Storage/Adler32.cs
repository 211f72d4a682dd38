// Adler-32, the checksum ZooKeeper puts in front of every txn log record and at the end of every snapshot.
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
            foreach (byte x in bytes[..run])
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

    public static long Of(ReadOnlySpan<byte> bytes)
    {
        var adler = Create();
        adler.Update(bytes);
        return adler.Value;
    }
}
