// Encodes jute's big-endian primitives into a growable buffer rented from the shared pool.
using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Coordinator.Jute;

public sealed class JuteWriter : IDisposable
{
    private byte[] _buffer;
    private int _length;

    public JuteWriter(int initialCapacity = 256)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    public int Length => _length;
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public void Reset() => _length = 0;

    private Span<byte> Grab(int count)
    {
        if (_length + count > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    public void WriteInt(int value) => BinaryPrimitives.WriteInt32BigEndian(Grab(4), value);

    public void WriteLong(long value) => BinaryPrimitives.WriteInt64BigEndian(Grab(8), value);

    public void WriteBool(bool value) => Grab(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteByte(byte value) => Grab(1)[0] = value;

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        value.CopyTo(Grab(value.Length));
    }

    public void WriteBuffer(byte[]? value)
    {
        if (value is null) WriteInt(-1);
        else WriteBuffer(value.AsSpan());
    }

    public void WriteString(string? value)
    {
        if (value is null) { WriteInt(-1); return; }
        int count = Encoding.UTF8.GetByteCount(value);
        WriteInt(count);
        Encoding.UTF8.GetBytes(value, Grab(count));
    }

    public void WriteStringVector(IReadOnlyList<string>? values)
    {
        if (values is null) { WriteInt(-1); return; }
        WriteInt(values.Count);
        for (int i = 0; i < values.Count; i++) WriteString(values[i]);
    }

    /// <summary>Reserves 4 bytes for a length to be filled in by <see cref="PatchLength"/>.</summary>
    public int ReserveLength()
    {
        int at = _length;
        Grab(4);
        return at;
    }

    /// <summary>Writes the number of bytes written since <paramref name="at"/> (exclusive of the prefix) into the prefix.</summary>
    public void PatchLength(int at) => BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(at, 4), _length - at - 4);

    public byte[] ToArray() => WrittenSpan.ToArray();

    public void Dispose()
    {
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
    }
}
