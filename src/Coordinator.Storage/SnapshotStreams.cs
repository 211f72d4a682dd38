// Streaming jute primitives for snapshots, which can be far larger than memory: a running Adler-32 on each side.
using System.Buffers.Binary;
using System.Text;
using Coordinator.Jute.Records;

namespace Coordinator.Storage;

/// <summary>Writes big-endian jute primitives to a device file through a fixed buffer, summing every byte.</summary>
internal sealed class SnapshotOutput : IDisposable
{
    private const int BufferBytes = 64 * 1024;

    private readonly IDeviceFile _file;
    private readonly byte[] _buffer = new byte[BufferBytes];
    private int _used;
    private int _summedTo; // _buffer[.._summedTo] is already in the checksum
    private long _position;
    private Adler32 _adler = Adler32.Create();

    public SnapshotOutput(IDeviceFile file) => _file = file;

    /// <summary>Adler-32 of every byte written so far, as ZooKeeper's CheckedOutputStream reports it.</summary>
    public long Checksum
    {
        get
        {
            Sum();
            return _adler.Value;
        }
    }

    public void WriteInt(int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, value);
        WriteRaw(b);
    }

    public void WriteLong(long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, value);
        WriteRaw(b);
    }

    public void WriteBuffer(byte[]? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }
        WriteInt(value.Length);
        WriteRaw(value);
    }

    public void WriteString(string value) => WriteBuffer(Encoding.UTF8.GetBytes(value));

    /// <summary>A string field given as its UTF-8 bytes.</summary>
    public void WriteStringBytes(ReadOnlySpan<byte> utf8)
    {
        WriteInt(utf8.Length);
        WriteRaw(utf8);
    }

    public void WriteAcl(Acl acl)
    {
        WriteInt(acl.Perms);
        WriteString(acl.Id.Scheme);
        WriteString(acl.Id.Ident);
    }

    // The checksum runs over whole stretches of the buffer when it drains (or is asked for), not per field.
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            if (_used == _buffer.Length) Drain();
            int n = Math.Min(bytes.Length, _buffer.Length - _used);
            bytes[..n].CopyTo(_buffer.AsSpan(_used));
            _used += n;
            bytes = bytes[n..];
        }
    }

    /// <summary>Writes what is buffered and fsyncs.</summary>
    public void Sync()
    {
        Drain();
        _file.Sync();
    }

    private void Sum()
    {
        _adler.Update(_buffer.AsSpan(_summedTo, _used - _summedTo));
        _summedTo = _used;
    }

    private void Drain()
    {
        if (_used == 0) return;
        Sum();
        _summedTo = 0;
        _file.Write(_position, _buffer.AsSpan(0, _used));
        _position += _used;
        _used = 0;
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>Reads big-endian jute primitives from a stream, summing every byte; every length is bounded.</summary>
internal sealed class SnapshotInput
{
    // Fields are parsed straight out of one large buffer, and the checksum runs over whole stretches of it, rather
    // than a stream call and a checksum call per field: a million znodes are about fifteen million fields.
    private const int BufferBytes = 1 << 20;

    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[BufferBytes];
    private Adler32 _adler = Adler32.Create();
    private long _bufferStart; // file offset of _buffer[0]
    private int _pos;          // next byte to hand out
    private int _len;          // bytes in the buffer
    private int _summedTo;     // _buffer[.._summedTo] is already in the checksum
    private bool _eof;

    public SnapshotInput(Stream stream) => _stream = stream;

    public long Position => _bufferStart + _pos;

    /// <summary>Adler-32 of every byte handed out so far.</summary>
    public long Checksum
    {
        get
        {
            Sum();
            return _adler.Value;
        }
    }

    /// <summary>Whether the stream has ended (used to tell a snapshot without the 3.6+ digest trailer).</summary>
    public bool AtEnd() => Ensure(1) == 0;

    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public byte[]? ReadBuffer()
    {
        long at = Position;
        int length = ReadInt();
        if (length == -1) return null;
        if (length < -1 || length > StorageLimits.SnapshotFieldBytesMax) throw new SnapshotFormatException($"impossible field length {length}", at);
        var bytes = new byte[length];
        ReadInto(bytes);
        return bytes;
    }

    public string ReadString()
    {
        long at = Position;
        int length = ReadInt();
        if (length == -1) return "";
        if (length < -1 || length > StorageLimits.SnapshotFieldBytesMax) throw new SnapshotFormatException($"impossible field length {length}", at);
        if (length <= BufferBytes) return Encoding.UTF8.GetString(Take(length));
        var bytes = new byte[length];
        ReadInto(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>A string field's UTF-8 bytes, copied into <paramref name="into"/> (grown when short); a null string reads as empty.</summary>
    public int ReadStringBytes(ref byte[] into)
    {
        long at = Position;
        int length = ReadInt();
        if (length == -1) return 0;
        if (length < -1 || length > StorageLimits.SnapshotFieldBytesMax) throw new SnapshotFormatException($"impossible field length {length}", at);
        if (into.Length < length) into = new byte[Math.Max(length, into.Length * 2)];
        ReadInto(into.AsSpan(0, length));
        return length;
    }

    public Acl ReadAcl()
    {
        int perms = ReadInt();
        return new Acl(perms, new Id(ReadString(), ReadString()));
    }

    /// <summary>
    /// A count of elements (-1 reads as none). Callers never presize collections from it, so a garbage count
    /// costs nothing before the stream runs out and the read fails.
    /// </summary>
    public int ReadCount(string what)
    {
        long at = Position;
        int count = ReadInt();
        if (count == -1) return 0;
        if (count < 0) throw new SnapshotFormatException($"impossible {what} count {count}", at);
        return count;
    }

    /// <summary>The next <paramref name="count"/> bytes (at most the buffer's size), valid until the next read.</summary>
    private ReadOnlySpan<byte> Take(int count)
    {
        int got = Ensure(count);
        if (got < count) throw new SnapshotFormatException($"snapshot ends early: needed {count} bytes, {got} left", Position);
        var span = _buffer.AsSpan(_pos, count);
        _pos += count;
        return span;
    }

    private void ReadInto(Span<byte> into)
    {
        int needed = into.Length;
        while (into.Length > 0)
        {
            int chunk = Math.Min(into.Length, BufferBytes);
            int got = Ensure(chunk);
            if (got < chunk) throw new SnapshotFormatException($"snapshot ends early: needed {needed} bytes, {needed - into.Length + got} left", Position);
            _buffer.AsSpan(_pos, chunk).CopyTo(into);
            _pos += chunk;
            into = into[chunk..];
        }
    }

    /// <summary>Makes <paramref name="count"/> bytes available from the current position if the stream has them; returns how many are.</summary>
    private int Ensure(int count)
    {
        if (_len - _pos >= count) return count;
        Sum();
        int remaining = _len - _pos;
        Buffer.BlockCopy(_buffer, _pos, _buffer, 0, remaining);
        _bufferStart += _pos;
        _pos = 0;
        _summedTo = 0;
        _len = remaining;
        while (_len < count && !_eof)
        {
            int n = _stream.Read(_buffer, _len, _buffer.Length - _len);
            if (n == 0) _eof = true;
            else _len += n;
        }
        return Math.Min(count, _len);
    }

    private void Sum()
    {
        _adler.Update(_buffer.AsSpan(_summedTo, _pos - _summedTo));
        _summedTo = _pos;
    }
}

/// <summary>A snapshot that cannot be read; carries the offset so the warning can name it.</summary>
internal sealed class SnapshotFormatException(string message, long offset) : Exception(message)
{
    public long Offset { get; } = offset;
}
