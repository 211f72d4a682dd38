// The failures storage reports instead of guessing: unreadable directories, corrupt files outside a torn tail, unknown formats.
namespace Coordinator.Storage;

/// <summary>
/// Thrown when the data on disk cannot be trusted or reached. It names the file (and offset when there is one)
/// so an operator can act; a torn tail of the last log is not one of these, recovery repairs it with a warning.
/// </summary>
public sealed class StorageException : Exception
{
    public StorageException(string message, string? file = null, long? offset = null, Exception? inner = null)
        : base(Describe(message, file, offset), inner)
    {
        File = file;
        Offset = offset;
    }

    public string? File { get; }
    public long? Offset { get; }

    private static string Describe(string message, string? file, long? offset) =>
        file is null ? message : offset is null ? $"{file}: {message}" : $"{file} at offset {offset}: {message}";
}
