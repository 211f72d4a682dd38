// Test helper: a temp directory deleted on dispose, and a copy that keeps preallocated logs sparse.
namespace Coordinator.Storage.Tests;

internal sealed class TempDir : IDisposable
{
    public TempDir(string label)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"st-{label}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name)
    {
        string dir = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Copies a dataDir; zero blocks are skipped so 64 MiB preallocated logs stay sparse and quick to copy.</summary>
    public static void CopySparse(string from, string to, Func<string, bool>? include = null)
    {
        Directory.CreateDirectory(to);
        foreach (string dir in Directory.GetDirectories(from)) CopySparse(dir, System.IO.Path.Combine(to, System.IO.Path.GetFileName(dir)), include);
        var buffer = new byte[64 * 1024];
        foreach (string file in Directory.GetFiles(from))
        {
            if (include is not null && !include(System.IO.Path.GetFileName(file))) continue;
            using var source = File.OpenRead(file);
            using var target = File.Create(System.IO.Path.Combine(to, System.IO.Path.GetFileName(file)));
            int n;
            while ((n = source.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
            {
                if (buffer.AsSpan(0, n).IndexOfAnyExcept((byte)0) < 0) target.Seek(n, SeekOrigin.Current);
                else target.Write(buffer, 0, n);
            }
            target.SetLength(source.Length);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still be letting go of a file; the OS temp cleaner gets the rest.
        }
    }
}
