// An in-memory IStorageDevice for tests and simulations: remembers what was synced and can crash, losing or tearing the rest.
namespace Coordinator.Storage;

/// <summary>
/// Each file keeps the bytes that were synced and the writes made since, in order. <see cref="Crash"/> keeps the
/// synced bytes and, when given a seeded <see cref="Random"/>, a prefix of the later writes with the last one
/// cut at a random byte: the torn write a power cut leaves. File creation, deletion and renames are treated as
/// durable at once (a simplification: the real device needs <see cref="SyncDirectory"/>, which storage calls).
/// Not thread-safe: storage is driven by one writer.
/// </summary>
public sealed class MemoryDevice : IStorageDevice
{
    private readonly Dictionary<string, FileState> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);

    /// <summary>Number of <see cref="IDeviceFile.Sync"/> calls, so tests can check group commit.</summary>
    public int SyncCount { get; private set; }

    public bool DirectoryExists(string directory) => _directories.Contains(Normalize(directory));

    public void CreateDirectory(string directory)
    {
        for (string? d = Normalize(directory); !string.IsNullOrEmpty(d); d = Path.GetDirectoryName(d)) _directories.Add(d);
    }

    public IReadOnlyList<string> ListFiles(string directory)
    {
        string dir = Normalize(directory);
        if (!_directories.Contains(dir)) throw new DirectoryNotFoundException($"no directory {dir}");
        return _files.Keys.Where(p => Path.GetDirectoryName(p) == dir).Select(Path.GetFileName).Select(n => n!).Order(StringComparer.Ordinal).ToList();
    }

    public bool FileExists(string path) => _files.ContainsKey(Normalize(path));

    public long FileLength(string path) => Get(path).Current.Count;

    public Stream OpenRead(string path) => new MemoryStream(Get(path).Current.ToArray(), writable: false);

    public IDeviceFile Create(string path)
    {
        string p = Normalize(path);
        string? dir = Path.GetDirectoryName(p);
        if (dir is null || !_directories.Contains(dir)) throw new DirectoryNotFoundException($"no directory for {p}");
        _files[p] = new FileState();
        return new Handle(this, _files[p]);
    }

    public IDeviceFile OpenWrite(string path) => new Handle(this, Get(path));

    public void Delete(string path) => _files.Remove(Normalize(path));

    public void Move(string source, string destination)
    {
        var state = Get(source);
        _files.Remove(Normalize(source));
        _files[Normalize(destination)] = state;
    }

    public void SyncDirectory(string directory)
    {
    }

    /// <summary>The bytes a reader sees now.</summary>
    public byte[] ReadAllBytes(string path) => Get(path).Current.ToArray();

    /// <summary>Replaces a file's content durably (tests use it to plant corrupt files).</summary>
    public void WriteAllBytes(string path, byte[] bytes)
    {
        using var file = Create(path);
        file.Write(0, bytes);
        file.Sync();
    }

    /// <summary>
    /// A power cut. Without <paramref name="torn"/> every unsynced write is lost; with it, each file keeps a
    /// random prefix of its unsynced writes, the last of them cut at a random byte.
    /// </summary>
    public void Crash(Random? torn = null)
    {
        foreach (var state in _files.Values)
        {
            var survivor = new List<byte>(state.Durable);
            if (torn is not null && state.Pending.Count > 0)
            {
                int kept = torn.Next(state.Pending.Count + 1);
                for (int i = 0; i < kept; i++) state.Pending[i].ApplyTo(survivor, int.MaxValue);
                if (kept < state.Pending.Count) state.Pending[kept].ApplyTo(survivor, torn.Next(state.Pending[kept].Size + 1));
            }
            state.Durable = survivor.ToArray();
            state.Current = new List<byte>(survivor);
            state.Pending.Clear();
        }
    }

    private FileState Get(string path) =>
        _files.TryGetValue(Normalize(path), out var state) ? state : throw new FileNotFoundException($"no file {path}", path);

    private static string Normalize(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    private sealed class FileState
    {
        public byte[] Durable = [];
        public List<byte> Current = [];
        public readonly List<PendingWrite> Pending = [];
    }

    /// <summary>A write (Bytes at Offset) or a length change (Bytes null), applied in order on a crash.</summary>
    private sealed record PendingWrite(long Offset, byte[]? Bytes, long NewLength)
    {
        public int Size => Bytes?.Length ?? 0;

        /// <summary>Applies the first <paramref name="limit"/> bytes of a write; a length change is all or nothing.</summary>
        public void ApplyTo(List<byte> content, int limit)
        {
            if (Bytes is null)
            {
                if (limit > 0 || Size == 0) Resize(content, NewLength);
                return;
            }
            int count = Math.Min(limit, Bytes.Length);
            if (content.Count < Offset + count) Resize(content, Offset + count);
            for (int i = 0; i < count; i++) content[(int)Offset + i] = Bytes[i];
        }
    }

    private static void Resize(List<byte> content, long length)
    {
        if (length < content.Count) content.RemoveRange((int)length, content.Count - (int)length);
        else content.AddRange(new byte[length - content.Count]);
    }

    private sealed class Handle(MemoryDevice device, FileState state) : IDeviceFile
    {
        public long Length => state.Current.Count;

        public void Write(long offset, ReadOnlySpan<byte> bytes)
        {
            var write = new PendingWrite(offset, bytes.ToArray(), 0);
            state.Pending.Add(write);
            write.ApplyTo(state.Current, int.MaxValue);
        }

        public void SetLength(long length)
        {
            var change = new PendingWrite(0, null, length);
            state.Pending.Add(change);
            change.ApplyTo(state.Current, int.MaxValue);
        }

        public void Sync()
        {
            device.SyncCount++;
            state.Durable = state.Current.ToArray();
            state.Pending.Clear();
        }

        public void Dispose()
        {
        }
    }
}
