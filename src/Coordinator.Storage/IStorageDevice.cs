// The file system as storage sees it: a handful of operations, injectable so tests and simulations can lose unsynced data.
namespace Coordinator.Storage;

/// <summary>
/// Everything storage does to disk goes through here (DESIGN.md habit 5). Paths are plain strings joined with
/// <see cref="Path.Combine(string, string)"/>. Data written to an <see cref="IDeviceFile"/> is durable only after
/// <see cref="IDeviceFile.Sync"/>; creating, deleting and moving files is durable after <see cref="SyncDirectory"/>.
/// </summary>
public interface IStorageDevice
{
    bool DirectoryExists(string directory);

    void CreateDirectory(string directory);

    /// <summary>Names (not paths) of the regular files directly in <paramref name="directory"/>.</summary>
    IReadOnlyList<string> ListFiles(string directory);

    bool FileExists(string path);

    long FileLength(string path);

    /// <summary>A sequential read of the file as it is now (including data not yet synced).</summary>
    Stream OpenRead(string path);

    /// <summary>Creates the file, or empties it if it exists.</summary>
    IDeviceFile Create(string path);

    /// <summary>Opens an existing file for writing at chosen offsets, truncation and sync.</summary>
    IDeviceFile OpenWrite(string path);

    void Delete(string path);

    /// <summary>Renames <paramref name="source"/> to <paramref name="destination"/>, replacing it atomically.</summary>
    void Move(string source, string destination);

    /// <summary>Makes creations, deletions and renames in <paramref name="directory"/> durable.</summary>
    void SyncDirectory(string directory);
}

public interface IDeviceFile : IDisposable
{
    long Length { get; }

    void Write(long offset, ReadOnlySpan<byte> bytes);

    /// <summary>Grows the file with zeros (preallocation) or cuts it (truncating a torn tail).</summary>
    void SetLength(long length);

    /// <summary>fsync: everything written so far survives a crash.</summary>
    void Sync();
}

public static class StorageDeviceExtensions
{
    /// <summary>
    /// Puts <paramref name="bytes"/> at <paramref name="path"/> so a crash leaves either the old file or the whole
    /// new one: written to <paramref name="tempPath"/> (same folder), synced, renamed over, folder synced.
    /// </summary>
    public static void ReplaceDurably(this IStorageDevice device, string tempPath, string path, ReadOnlySpan<byte> bytes)
    {
        string folder = Path.GetDirectoryName(path)!;
        if (!device.DirectoryExists(folder)) device.CreateDirectory(folder);
        using (var file = device.Create(tempPath))
        {
            file.Write(0, bytes);
            file.Sync();
        }
        device.Move(tempPath, path);
        device.SyncDirectory(folder);
    }
}
