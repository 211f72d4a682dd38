// Maps client paths to server paths and back under an optional chroot (the connection string's path suffix).
namespace Coordinator.Client.Operations;

internal sealed class Chroot(string? root)
{
    public string? Root { get; } = root;

    public string ToServer(string clientPath)
    {
        if (Root is null) return clientPath;
        return clientPath == "/" ? Root : Root + clientPath;
    }

    /// <summary>Server paths outside the chroot come back unchanged; the server never sends them for our requests.</summary>
    public string ToClient(string serverPath)
    {
        if (Root is null) return serverPath;
        if (serverPath.Length == Root.Length && serverPath == Root) return "/";
        if (serverPath.Length > Root.Length && serverPath[Root.Length] == '/' && serverPath.StartsWith(Root, StringComparison.Ordinal))
            return serverPath[Root.Length..];
        return serverPath;
    }
}
