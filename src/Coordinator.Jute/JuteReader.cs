// Decodes jute's big-endian primitives from a span; every read is bounds-checked and throws JuteException.
using System.Buffers.Binary;
using System.Text;

namespace Coordinator.Jute;

public ref struct JuteReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public JuteReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;
    public readonly int Remaining => _buffer.Length - _position;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
            throw new JuteException($"record truncated: needed {count} bytes at offset {_position}, {Remaining} left");
        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public bool ReadBool() => Take(1)[0] != 0;

    public byte ReadByte() => Take(1)[0];

    /// <summary>A length-prefixed byte buffer; length -1 means null.</summary>
    public byte[]? ReadBuffer()
    {
        int length = ReadInt();
        if (length == -1) return null;
        if (length < -1) throw new JuteException($"negative buffer length {length} at offset {_position - 4}");
        return Take(length).ToArray();
    }

    /// <summary>A length-prefixed UTF-8 string; length -1 means null.</summary>
    public string? ReadString()
    {
        int length = ReadInt();
        if (length == -1) return null;
        if (length < -1) throw new JuteException($"negative string length {length} at offset {_position - 4}");
        return Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>
    /// A string field read as non-null: a null (-1 length) reads as "". Some clients (kazoo) encode every empty
    /// string as null, and ZooKeeper accepts that, so path and id checks downstream see "" and judge it.
    /// </summary>
    public string ReadRequiredString() => ReadString() ?? "";

    /// <summary>A vector's element count; -1 (null) reads as 0. The count is checked against the bytes left.</summary>
    public int ReadVectorCount(int minElementBytes = 1)
    {
        int count = ReadInt();
        if (count == -1) return 0;
        if (count < 0 || (long)count * minElementBytes > Remaining)
            throw new JuteException($"vector length {count} does not fit the {Remaining} bytes left");
        return count;
    }

    public List<string> ReadStringVector()
    {
        int count = ReadVectorCount(4);
        var list = new List<string>(count);
        for (int i = 0; i < count; i++) list.Add(ReadRequiredString());
        return list;
    }

    public readonly ReadOnlySpan<byte> Rest => _buffer[_position..];
}
