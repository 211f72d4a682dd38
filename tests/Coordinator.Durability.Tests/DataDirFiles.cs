// Test helper: finds the txn logs and snapshots in a dataDir and walks a log's record frames, independently of src/.
using System.Buffers.Binary;
using System.Globalization;

namespace Coordinator.Durability.Tests;

/// <summary>Where one record of a txn log sits: its offset (start of the checksum) and the length of its txn bytes.</summary>
internal readonly record struct LogRecordFrame(long Offset, int Length)
{
    /// <summary>Checksum (8), length (4), the txn bytes, and the end-of-record byte 'B'.</summary>
    public long End => Offset + 12 + Length + 1;
}

internal static class DataDirFiles
{
    public const int LogHeaderBytes = 16;

    /// <summary>The files of dataDir/version-2 called prefix.&lt;hex zxid&gt;, oldest first.</summary>
    public static List<string> List(string dataDir, string prefix)
    {
        string folder = Path.Combine(dataDir, "version-2");
        if (!Directory.Exists(folder)) return [];
        return Directory.GetFiles(folder, prefix + ".*")
            .Select(f => (Path: f, Zxid: ZxidOf(f, prefix)))
            .Where(f => f.Zxid >= 0)
            .OrderBy(f => f.Zxid)
            .Select(f => f.Path)
            .ToList();
    }

    public static string NewestLog(string dataDir) =>
        List(dataDir, "log").LastOrDefault() ?? throw new InvalidOperationException($"no txn log in {dataDir}/version-2");

    private static long ZxidOf(string file, string prefix)
    {
        string suffix = Path.GetFileName(file)[(prefix.Length + 1)..];
        return long.TryParse(suffix, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long zxid) ? zxid : -1;
    }

    /// <summary>The record frames of a log, up to the preallocated zeros (a zero length) or the end of the file.</summary>
    public static List<LogRecordFrame> Records(string logFile)
    {
        byte[] bytes = File.ReadAllBytes(logFile);
        if (bytes.Length < LogHeaderBytes || BinaryPrimitives.ReadInt32BigEndian(bytes) != 0x5A4B4C47)
            throw new InvalidOperationException($"{logFile} is not a txn log");
        var records = new List<LogRecordFrame>();
        long offset = LogHeaderBytes;
        // Bounded by the file: each step moves forward by at least one record's fixed bytes.
        while (offset + 12 <= bytes.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan((int)offset + 8));
            if (length <= 0) break;
            var frame = new LogRecordFrame(offset, length);
            if (frame.End > bytes.Length || bytes[frame.End - 1] != (byte)'B')
                throw new InvalidOperationException($"{logFile}: record at {offset} is not whole before the test damaged anything");
            records.Add(frame);
            offset = frame.End;
        }
        return records;
    }

    public static void Truncate(string file, long length)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Write);
        stream.SetLength(length);
    }

    /// <summary>Inverts <paramref name="count"/> bytes starting at <paramref name="offset"/>.</summary>
    public static void FlipBytes(string file, long offset, int count)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        var buffer = new byte[count];
        stream.Position = offset;
        stream.ReadExactly(buffer);
        for (int i = 0; i < count; i++) buffer[i] ^= 0xFF;
        stream.Position = offset;
        stream.Write(buffer);
    }
}
