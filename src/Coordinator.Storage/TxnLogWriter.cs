// Appends txns to ZooKeeper-format log files: framing with Adler-32, group commit (one fsync per Flush), preallocation, rolling.
using Coordinator.Jute;
using Coordinator.StateMachine;

namespace Coordinator.Storage;

public sealed record TxnLogOptions
{
    /// <summary>Zeros added whenever a log nears its end, so appends do not grow the file (zookeeper.preAllocSize). 0 turns it off.</summary>
    public long PreallocBytes { get; init; } = StorageLimits.PreallocBytesDefault;

    /// <summary>Roll to a new file once a log holds this many bytes (zookeeper.txnLogSizeLimitInKb); -1 means only on <see cref="TxnLogWriter.Roll"/>.</summary>
    public long SizeLimitBytes { get; init; } = -1;

    /// <summary>forceSync: fsync on every flush. Off, a flush only hands the bytes to the OS (faster, loses writes on a power cut).</summary>
    public bool ForceSync { get; init; } = true;
}

/// <summary>
/// The on-disk layout, as ZooKeeper writes it. A file "log.&lt;hex zxid of its first txn&gt;" starts with a 16-byte
/// header (magic "ZKLG", version 2, dbid 0). Each record is: Adler-32 of the txn bytes (8-byte long), their
/// length (int), the bytes (<see cref="TxnSerializer"/>), and the end-of-record byte 'B'. The file is then
/// zero-filled to its preallocated size, so a zero length marks the end of the log.
/// </summary>
public static class TxnLogFormat
{
    public const int Magic = 0x5A4B4C47; // "ZKLG"
    public const int Version = 2;
    public const long DbId = 0;
    public const int FileHeaderBytes = 16;

    /// <summary>Checksum and length in front of each record.</summary>
    public const int RecordPrefixBytes = 12;

    public const byte EndOfRecord = (byte)'B';
}

/// <summary>
/// Appends buffer in memory; nothing is durable until <see cref="Flush"/>, which writes everything appended since
/// the last flush and fsyncs once (group commit). The caller may acknowledge a txn only after the Flush that
/// returned a zxid at or beyond it: that order is the contract of this type. A new file starts on the first
/// append after construction or <see cref="Roll"/>, named by that append's zxid, as ZooKeeper does after a
/// restart or a snapshot. One writer only; no threads or clocks inside.
/// </summary>
public sealed class TxnLogWriter : IDisposable
{
    private readonly IStorageDevice _device;
    private readonly string _folder;
    private readonly TxnLogOptions _options;
    private readonly JuteWriter _pending = new(64 * 1024);
    private readonly JuteWriter _scratch = new(1024);
    private IDeviceFile? _file;
    private long _fileEnd;       // bytes of the current file that hold header and records
    private long _fileAllocated; // its length including preallocated zeros
    private long _lastAppendedZxid = -1;
    private bool _disposed;

    /// <param name="folder">The version-2 folder of dataLogDir.</param>
    public TxnLogWriter(IStorageDevice device, string folder, TxnLogOptions? options = null)
    {
        _device = device;
        _folder = folder;
        _options = options ?? new TxnLogOptions();
        if (!device.DirectoryExists(folder)) device.CreateDirectory(folder);
    }

    /// <summary>The file appends go to, or null before the first append after a roll.</summary>
    public string? CurrentFile { get; private set; }

    /// <summary>The zxid up to which everything appended is on disk (-1 before the first flush).</summary>
    public long DurableZxid { get; private set; } = -1;

    /// <summary>Txns appended since the last flush.</summary>
    public int PendingCount { get; private set; }

    /// <summary>Appends one txn; <paramref name="digest"/> is the tree digest after it, when the caller keeps one.</summary>
    public void Append(in TxnHeader header, Txn txn, TxnDigest? digest = null) => Append(new TxnEntry(header, txn, digest));

    public void Append(TxnEntry entry)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long zxid = entry.Header.Zxid;
        if (zxid <= _lastAppendedZxid)
            throw new InvalidOperationException($"zxid 0x{zxid:x} appended after 0x{_lastAppendedZxid:x}: the log must grow in zxid order");

        if (_file is not null && _options.SizeLimitBytes > 0 && _fileEnd + _pending.Length >= _options.SizeLimitBytes) Roll();
        if (_file is null) StartFile(zxid);

        _scratch.Reset();
        TxnSerializer.Write(_scratch, entry);
        if (_scratch.Length > StorageLimits.RecordBytesMax)
            throw new ArgumentException($"txn 0x{zxid:x} is {_scratch.Length} bytes, over the {StorageLimits.RecordBytesMax}-byte record limit", nameof(entry));
        _pending.WriteLong(Adler32.Of(_scratch.WrittenSpan));
        _pending.WriteBuffer(_scratch.WrittenSpan);
        _pending.WriteByte(TxnLogFormat.EndOfRecord);
        _lastAppendedZxid = zxid;
        PendingCount++;
    }

    /// <summary>Writes and fsyncs everything appended since the last flush; returns <see cref="DurableZxid"/>.</summary>
    public long Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is not null) throw new IOException($"the log failed earlier ({_failure.Message}); nothing more is written", _failure);
        if (_file is null || _pending.Length == 0) return DurableZxid;
        try
        {
            Preallocate(_fileEnd + _pending.Length);
            _file.Write(_fileEnd, _pending.WrittenSpan);
            if (_options.ForceSync) _file.Sync();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // What reached the file is unknown (a short write, an fsync error): never write after it, so nothing
            // the caller was not told is durable can be mistaken for a later txn's bytes.
            _failure = e;
            throw;
        }
        _fileEnd += _pending.Length;
        _pending.Reset();
        PendingCount = 0;
        DurableZxid = _lastAppendedZxid;
        return DurableZxid;
    }

    /// <summary>Flushes and closes the current file; the next append starts a new one (ZooKeeper rolls at each snapshot).</summary>
    public void Roll()
    {
        Flush();
        _file?.Dispose();
        _file = null;
        CurrentFile = null;
    }

    /// <summary>
    /// Flushes and closes the current file, then continues after <paramref name="lastZxid"/>: for when the log was
    /// truncated or replaced on disk under the writer (ZAB's TRUNC and SNAP). The next append starts a new file
    /// named after its own zxid and may be any zxid above <paramref name="lastZxid"/>.
    /// </summary>
    public void RestartAfter(long lastZxid)
    {
        Roll();
        _lastAppendedZxid = lastZxid;
        DurableZxid = Math.Min(DurableZxid, lastZxid);
    }

    /// <summary>The error that stopped the log (disk full, fsync failed), or null while it works.</summary>
    private Exception? _failure;

    public void Dispose()
    {
        if (_disposed) return;
        if (_failure is null) Roll();
        else
        {
            _file?.Dispose();
            _file = null;
        }
        _disposed = true;
        _pending.Dispose();
        _scratch.Dispose();
    }

    private void StartFile(long firstZxid)
    {
        string path = Path.Combine(_folder, ZkFiles.LogName(firstZxid));
        _file = _device.Create(path);
        _device.SyncDirectory(_folder);
        CurrentFile = path;
        _fileEnd = 0;
        _fileAllocated = 0;
        // The header goes out with the first flush, so a crash before it leaves an empty file, never a bad one.
        _pending.WriteInt(TxnLogFormat.Magic);
        _pending.WriteInt(TxnLogFormat.Version);
        _pending.WriteLong(TxnLogFormat.DbId);
    }

    /// <summary>Grows the file in PreallocBytes steps of zeros whenever the data would come within the slack of its end.</summary>
    private void Preallocate(long end)
    {
        if (_options.PreallocBytes <= 0 || end + StorageLimits.PreallocSlackBytes < _fileAllocated) return;
        long size = Math.Max(_fileAllocated, TxnLogFormat.FileHeaderBytes);
        while (end + StorageLimits.PreallocSlackBytes >= size) size += _options.PreallocBytes;
        _file!.SetLength(size);
        _fileAllocated = size;
    }
}
