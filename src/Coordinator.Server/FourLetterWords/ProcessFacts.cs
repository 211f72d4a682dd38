// Facts about this process that ZooKeeper reads from the JVM and the OS: open and allowed file descriptors, directory sizes.
using System.Globalization;

namespace Coordinator.Server;

/// <summary>
/// Read off the server loop (they touch /proc and the disk) and handed to the renderers. A null descriptor
/// count means the OS does not expose it; mntr then leaves those lines out, as ZooKeeper does off Unix.
/// </summary>
internal sealed record ProcessFacts(long? OpenFileDescriptors, long? MaxFileDescriptors)
{
    public static ProcessFacts None { get; } = new(null, null);

    public static ProcessFacts Read() => new(CountOpenFileDescriptors(), ReadMaxFileDescriptors());

    private static long? CountOpenFileDescriptors()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The soft limit on open files, as the JVM reports it; "unlimited" is -1 (RLIM_INFINITY read as signed).</summary>
    private static long? ReadMaxFileDescriptors()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 0) return null;
                if (fields[0] == "unlimited") return -1;
                return long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long soft) ? soft : null;
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Bytes in every file under <paramref name="path"/>; 0 when it does not exist. Files vanishing mid-walk are skipped.</summary>
    public static long DirectoryBytes(string path)
    {
        var dir = new DirectoryInfo(path);
        if (!dir.Exists) return 0;
        long total = 0;
        try
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true };
            foreach (var file in dir.EnumerateFiles("*", options))
            {
                try { total += file.Length; }
                catch (FileNotFoundException) { }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return total;
    }

    /// <summary>
    /// ZooKeeper sizes the "version-2" directory its snapshots and logs live in; when our storage has not made
    /// one (or keeps files directly in the directory) the directory itself is sized.
    /// </summary>
    public static long StorageBytes(string dir)
    {
        string versioned = Path.Combine(dir, "version-2");
        return DirectoryBytes(Directory.Exists(versioned) ? versioned : dir);
    }
}
