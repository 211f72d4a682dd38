// Reads ZooKeeper-format txn logs in zxid order across files, checking every record; finds a torn tail in the last log.
using System.Buffers.Binary;
using Coordinator.Jute;
using Coordinator.StateMachine;

namespace Coordinator.Storage;

/// <summary>A txn as read from disk, with the file and offset of its record.</summary>
public sealed record LoggedTxn(TxnEntry Entry, string File, long Offset);

/// <summary>Where the last log stops being readable, and why; everything from <see cref="Offset"/> on is to be cut.</summary>
public sealed record LogDamage(string File, long Offset, string Reason);

/// <summary>
/// Damage can only be a torn tail in the newest log: older logs were complete and synced before the writer
/// rolled past them, so a bad record there is corruption and throws <see cref="StorageException"/>. In the
/// newest log the first bad record ends the read and is reported as <see cref="TailDamage"/>, unless a good
/// record follows it (then the log was damaged in place, not torn, and cutting it would drop acknowledged txns).
/// A record whose checksum is right but whose content cannot be parsed always throws: it is a format this
/// version does not know, never something to truncate.
/// </summary>
public sealed class TxnLogReader
{
    private const string ChecksumMismatch = "checksum mismatch";

    private readonly IStorageDevice _device;
    private readonly string _folder;

    /// <param name="folder">The version-2 folder of dataLogDir.</param>
    public TxnLogReader(IStorageDevice device, string folder)
    {
        _device = device;
        _folder = folder;
    }

    /// <summary>Set when a read of the newest log stopped at damage; null after a clean read.</summary>
    public LogDamage? TailDamage { get; private set; }

    /// <summary>The log files oldest first, each with the zxid its name says it starts at.</summary>
    public IReadOnlyList<(string Path, long Zxid)> Files() => ZkFiles.List(_device, _folder, ZkFiles.LogPrefix);

    /// <summary>
    /// The txns with zxid ≥ <paramref name="fromZxid"/>, in log order. Reading starts with the newest file that
    /// begins at or before <paramref name="fromZxid"/>, as earlier files cannot hold it.
    /// </summary>
    public IEnumerable<LoggedTxn> ReadFrom(long fromZxid)
    {
        TailDamage = null;
        var files = Files();
        int first = 0;
        for (int i = 0; i < files.Count; i++)
        {
            if (files[i].Zxid <= fromZxid) first = i;
        }
        for (int i = first; i < files.Count; i++)
        {
            bool newest = i == files.Count - 1;
            foreach (var txn in ReadFile(files[i].Path, newest, fromZxid))
            {
                yield return txn;
            }
        }
    }

    /// <summary>Cuts the newest log at the damage (or deletes it when no record survives) and syncs.</summary>
    public void Truncate(LogDamage damage)
    {
        if (damage.Offset <= TxnLogFormat.FileHeaderBytes)
        {
            _device.Delete(damage.File);
            _device.SyncDirectory(_folder);
            return;
        }
        using var file = _device.OpenWrite(damage.File);
        file.SetLength(damage.Offset);
        file.Sync();
    }

    /// <summary>The file's txns from <paramref name="fromZxid"/> on; records before it are checked but not parsed.</summary>
    private IEnumerable<LoggedTxn> ReadFile(string path, bool newest, long fromZxid)
    {
        using var stream = _device.OpenRead(path);
        var header = new byte[TxnLogFormat.FileHeaderBytes];
        int got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got < header.Length || header.AsSpan().IndexOfAnyExcept((byte)0) < 0)
        {
            // Created, maybe preallocated, but the header never reached the disk: nothing was ever logged here.
            Damage(path, 0, newest, got < header.Length ? "file header is incomplete" : "file header is zeros");
            yield break;
        }
        CheckHeader(path, header);

        long offset = TxnLogFormat.FileHeaderBytes;
        var prefix = new byte[TxnLogFormat.RecordPrefixBytes];
        var body = new byte[4096]; // reused: parsing copies what it keeps
        while (true)
        {
            int length = ReadFrame(stream, prefix, ref body, out string? problem);
            if (problem is not null)
            {
                if (newest && problem.StartsWith(ChecksumMismatch, StringComparison.Ordinal) && NextFrameIsGood(stream, prefix))
                    throw new StorageException($"{problem}, yet a good record follows: the log is damaged in place, not torn", path, offset);
                Damage(path, offset, newest, problem);
                yield break;
            }
            if (length < 0) yield break;
            var txn = body.AsSpan(0, length);
            // The header's zxid follows the session id (8 bytes) and cxid (4): skipping a record needs no parse.
            if (length < TxnHeaderZxidEnd || BinaryPrimitives.ReadInt64BigEndian(txn[12..]) >= fromZxid)
                yield return new LoggedTxn(Parse(path, offset, txn), path, offset);
            offset += TxnLogFormat.RecordPrefixBytes + length + 1;
        }
    }

    private const int TxnHeaderZxidEnd = 20;

    /// <summary>
    /// Reads the next record into <paramref name="body"/> (grown when short) and returns its txn's length; -1 at
    /// the end of the log, or with <paramref name="problem"/> set when the record is bad.
    /// </summary>
    private static int ReadFrame(Stream stream, byte[] prefix, ref byte[] body, out string? problem)
    {
        problem = null;
        int got = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        if (got == 0) return -1; // a log cut exactly after its last record
        if (got < prefix.Length)
        {
            problem = $"record prefix is incomplete ({got} of {prefix.Length} bytes)";
            return -1;
        }
        long checksum = BinaryPrimitives.ReadInt64BigEndian(prefix);
        int length = BinaryPrimitives.ReadInt32BigEndian(prefix.AsSpan(8));
        if (length == 0) return -1; // preallocated zeros: the end of the log
        if (length < 0 || length > StorageLimits.RecordBytesMax)
        {
            problem = $"impossible record length {length}";
            return -1;
        }
        if (body.Length < length + 1) body = new byte[Math.Max(length + 1, body.Length * 2)];
        var frame = body.AsSpan(0, length + 1);
        got = stream.ReadAtLeast(frame, frame.Length, throwOnEndOfStream: false);
        if (got < frame.Length)
        {
            problem = $"record is incomplete ({got} of {frame.Length} bytes)";
            return -1;
        }
        if (frame[length] != TxnLogFormat.EndOfRecord)
        {
            problem = "end-of-record marker is missing";
            return -1;
        }
        long actual = Adler32.Of(frame[..length]);
        if (actual != checksum)
        {
            problem = $"{ChecksumMismatch} (stored 0x{checksum:x}, computed 0x{actual:x})";
            return -1;
        }
        return length;
    }

    /// <summary>Whether the bytes after a record with a bad checksum form a good record (bounded look-ahead of one record).</summary>
    private static bool NextFrameIsGood(Stream stream, byte[] prefix)
    {
        try
        {
            byte[] scratch = [];
            return ReadFrame(stream, prefix, ref scratch, out string? problem) >= 0 && problem is null;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void Damage(string path, long offset, bool newest, string reason)
    {
        if (!newest) throw new StorageException($"{reason} in a log that is not the newest: it was complete when the writer moved on, so this is corruption", path, offset);
        TailDamage = new LogDamage(path, offset, reason);
    }

    private static void CheckHeader(string path, byte[] header)
    {
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        int version = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        if (magic != TxnLogFormat.Magic) throw new StorageException($"not a txn log: magic 0x{magic:x8}, expected 0x{TxnLogFormat.Magic:x8} (\"ZKLG\")", path, 0);
        if (version != TxnLogFormat.Version) throw new StorageException($"txn log format version {version} is not supported (only {TxnLogFormat.Version})", path, 4);
    }

    private static TxnEntry Parse(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        try
        {
            return TxnSerializer.Deserialize(bytes);
        }
        catch (JuteException e)
        {
            throw new StorageException($"record has a good checksum but cannot be read: {e.Message}", path, offset, e);
        }
    }
}
