// ZooKeeper's acceptedEpoch and currentEpoch files in dataDir/version-2: decimal text, replaced atomically.
using System.Globalization;
using System.Text;

namespace Coordinator.Storage;

/// <summary>
/// The two epochs a ZAB participant must never forget. acceptedEpoch is the newest epoch it promised a
/// prospective leader (NEWEPOCH); currentEpoch the newest epoch whose leader it acknowledged (NEWLEADER).
/// </summary>
/// <param name="AcceptedEpoch">The epoch in acceptedEpoch, or derived when the file is missing.</param>
/// <param name="CurrentEpoch">The epoch in currentEpoch, or derived when the file is missing.</param>
/// <param name="Derived">The names of the files that were missing, whose epoch came from the last zxid instead.</param>
public sealed record Epochs(int AcceptedEpoch, int CurrentEpoch, IReadOnlyList<string> Derived);

/// <summary>
/// Reads and writes the files as ZooKeeper's QuorumPeer does: the epoch as decimal text (ZooKeeper writes no
/// newline), written to name.tmp, synced and renamed over the old file (its AtomicFileOutputStream), so a crash
/// leaves the old value or the new one, never a mix.
/// </summary>
public static class EpochFiles
{
    public const string AcceptedEpochName = "acceptedEpoch";
    public const string CurrentEpochName = "currentEpoch";

    /// <summary>The suffix ZooKeeper's AtomicFileOutputStream gives the file it writes before renaming.</summary>
    public const string TempSuffix = ".tmp";

    /// <summary>An epoch file is one number; anything longer is not one (a bound on what is read, habit 8).</summary>
    public const int FileBytesMax = 64;

    /// <summary>The epoch a zxid belongs to: its high 32 bits.</summary>
    public static int EpochOf(long zxid) => (int)(zxid >> 32);

    /// <summary>
    /// Reads both files from <paramref name="folder"/> (dataDir/version-2). A missing file takes the epoch of
    /// <paramref name="lastZxid"/> (the last logged or snapshotted zxid), as ZooKeeper does on its first start
    /// after an upgrade from a version without these files. A file that is not a non-negative 32-bit number
    /// throws <see cref="StorageException"/> naming it: the node must not vote or sync on a guessed epoch.
    /// </summary>
    public static Epochs Read(IStorageDevice device, string folder, long lastZxid)
    {
        var derived = new List<string>();
        int accepted = ReadOne(device, folder, AcceptedEpochName, lastZxid, derived);
        int current = ReadOne(device, folder, CurrentEpochName, lastZxid, derived);
        return new Epochs(accepted, current, derived);
    }

    /// <summary>Writes one epoch file; durable when it returns (file fsync, rename, folder fsync).</summary>
    public static void Write(IStorageDevice device, string folder, string name, int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        string path = Path.Combine(folder, name);
        device.ReplaceDurably(path + TempSuffix, path, Encoding.ASCII.GetBytes(epoch.ToString(CultureInfo.InvariantCulture)));
    }

    private static int ReadOne(IStorageDevice device, string folder, string name, long lastZxid, List<string> derived)
    {
        string path = Path.Combine(folder, name);
        if (!device.FileExists(path))
        {
            derived.Add(name);
            return EpochOf(lastZxid);
        }
        string text;
        try
        {
            if (device.FileLength(path) > FileBytesMax) throw new StorageException($"epoch file is over {FileBytesMax} bytes: not an epoch", path);
            using var stream = device.OpenRead(path);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            text = reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"cannot read the epoch file: {e.Message}", path, inner: e);
        }
        // ZooKeeper reads the first line; a trailing newline (a file written by hand) is accepted too.
        if (!int.TryParse(text.TrimEnd('\r', '\n'), NumberStyles.None, CultureInfo.InvariantCulture, out int epoch))
            throw new StorageException($"epoch file does not hold a non-negative 32-bit number (\"{Printable(text)}\")", path);
        return epoch;
    }

    private static string Printable(string text) =>
        string.Concat(text.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\x{(int)c:x2}"));
}
