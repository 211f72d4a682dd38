// Test helper: builds expected jute bytes by hand (independently of JuteWriter) and encodes records for comparison.
using System.Text;

namespace Coordinator.Jute.Tests;

/// <summary>
/// A tiny big-endian byte builder that does not use JuteWriter, so a layout test compares the
/// writer against bytes derived from zookeeper.jute's field order rather than against itself.
/// </summary>
internal sealed class HandBytes
{
    private readonly List<byte> _bytes = [];

    public HandBytes Int(int v)
    {
        _bytes.Add((byte)(v >> 24));
        _bytes.Add((byte)(v >> 16));
        _bytes.Add((byte)(v >> 8));
        _bytes.Add((byte)v);
        return this;
    }

    public HandBytes Long(long v) => Int((int)(v >> 32)).Int((int)v);

    public HandBytes Bool(bool v)
    {
        _bytes.Add(v ? (byte)1 : (byte)0);
        return this;
    }

    public HandBytes Raw(params byte[] raw)
    {
        _bytes.AddRange(raw);
        return this;
    }

    public HandBytes Buffer(byte[]? b) => b is null ? Int(-1) : Int(b.Length).Raw(b);

    public HandBytes String(string? s) => s is null ? Int(-1) : Buffer(Encoding.UTF8.GetBytes(s));

    public byte[] ToArray() => [.. _bytes];

    public static byte[] Encode(Action<JuteWriter> write)
    {
        using var w = new JuteWriter(16);
        write(w);
        return w.ToArray();
    }

    public static byte[] Encode(IRecord record) => Encode(record.Write);
}
