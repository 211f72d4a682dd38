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
    private long _position;
    private Adler32 _adler = Adler32.Create();

    public SnapshotOutput(IDeviceFile file) => _file = file;

    /// <summary>Adler-32 of every byte written so far, as ZooKeeper's CheckedOutputStream reports it.</summary>
    public long Checksum => _adler.Value;

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

    public void WriteAcl(Acl acl)
    {
        WriteInt(acl.Perms);
        WriteString(acl.Id.Scheme);
        WriteString(acl.Id.Ident);
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        _adler.Update(bytes);
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

    private void Drain()
    {
        if (_used == 0) return;
        _file.Write(_position, _buffer.AsSpan(0, _used));
        _position += _used;
        _used = 0;
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>Reads big-endian jute primitives from a stream, summing every byte; every length is bounded.</summary>
internal sealed class SnapshotInput
{
    private readonly Stream _stream;
    private readonly byte[] _small = new byte[8];
    private Adler32 _adler = Adler32.Create();

    // One byte read ahead by AtEnd, handed out (and summed) by the next read.
    private int _pushback = -1;

    public SnapshotInput(Stream stream) => _stream = stream;

    public long Position { get; private set; }

    public long Checksum => _adler.Value;

    /// <summary>Whether the stream has ended (used to tell a snapshot without the 3.6+ digest trailer).</summary>
    public bool AtEnd()
    {
        int b = _stream.ReadByte();
        if (b < 0) return true;
        _pushback = b;
        return false;
    }

    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Fill(4));

    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Fill(8));

    public byte[]? ReadBuffer()
    {
        long at = Position;
        int length = ReadInt();
        if (length == -1) return null;
        if (length < -1 || length > StorageLimits.SnapshotFieldBytesMax) throw new SnapshotFormatException($"impossible field length {length}", at);
        var bytes = new byte[length];
        ReadRaw(bytes);
        return bytes;
    }

    public string ReadString()
    {
        var bytes = ReadBuffer();
        return bytes is null ? "" : Encoding.UTF8.GetString(bytes);
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

    private ReadOnlySpan<byte> Fill(int count)
    {
        var span = _small.AsSpan(0, count);
        ReadRaw(span);
        return span;
    }

    private void ReadRaw(Span<byte> into)
    {
        int start = 0;
        if (_pushback >= 0 && into.Length > 0)
        {
            into[0] = (byte)_pushback;
            _pushback = -1;
            start = 1;
        }
        int got = start + _stream.ReadAtLeast(into[start..], into.Length - start, throwOnEndOfStream: false);
        if (got < into.Length) throw new SnapshotFormatException($"snapshot ends early: needed {into.Length} bytes, {got} left", Position);
        _adler.Update(into);
        Position += into.Length;
    }
}

/// <summary>A snapshot that cannot be read; carries the offset so the warning can name it.</summary>
internal sealed class SnapshotFormatException(string message, long offset) : Exception(message)
{
    public long Offset { get; } = offset;
}
