// The real file system behind IStorageDevice: unbuffered FileStreams, fsync through Flush(true), directory fsync on Unix.
using System.Runtime.InteropServices;

namespace Coordinator.Storage;

public sealed partial class PhysicalDevice : IStorageDevice
{
    public static readonly PhysicalDevice Instance = new();

    public bool DirectoryExists(string directory) => Directory.Exists(directory);

    public void CreateDirectory(string directory) => Directory.CreateDirectory(directory);

    public IReadOnlyList<string> ListFiles(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles().Select(f => f.Name).ToList();

    public bool FileExists(string path) => File.Exists(path);

    public long FileLength(string path) => new FileInfo(path).Length;

    public Stream OpenRead(string path) =>
        new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);

    public IDeviceFile Create(string path) => new PhysicalFile(new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 0));

    public IDeviceFile OpenWrite(string path) => new PhysicalFile(new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 0));

    public void Delete(string path) => File.Delete(path);

    public void Move(string source, string destination) => File.Move(source, destination, overwrite: true);

    public void SyncDirectory(string directory)
    {
        // .NET cannot open a directory as a stream; without this fsync a crash may forget a new or renamed file.
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD()) return;
        int fd = NativeOpen(directory, 0);
        if (fd < 0) throw new IOException($"cannot open directory {directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (NativeFsync(fd) != 0) throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = NativeClose(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int NativeFsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int NativeClose(int fd);

    private sealed class PhysicalFile(FileStream stream) : IDeviceFile
    {
        public long Length => stream.Length;

        public void Write(long offset, ReadOnlySpan<byte> bytes)
        {
            stream.Position = offset;
            stream.Write(bytes);
        }

        public void SetLength(long length) => stream.SetLength(length);

        public void Sync() => stream.Flush(flushToDisk: true);

        public void Dispose() => stream.Dispose();
    }
}
