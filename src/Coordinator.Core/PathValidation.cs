// Znode path rules, as ZooKeeper's PathUtils.validatePath enforces them.
namespace Coordinator.Core;

public static class PathValidation
{
    /// <summary>Returns null when <paramref name="path"/> is valid, otherwise the reason.</summary>
    /// A sequential create is checked as if its suffix were already appended, so "/a/" is a valid prefix.
    public static string? Validate(string? path, bool sequential = false)
    {
        if (path is null) return "Path cannot be null";
        if (sequential) path += "1";
        if (path.Length == 0) return "Path length must be > 0";
        if (path[0] != '/') return "Path must start with / character";
        if (path.Length == 1) return null;
        if (path[^1] == '/') return "Path must not end with / character";

        char last = '/';
        for (int i = 1; i < path.Length; i++)
        {
            char c = path[i];
            if (c == '\0') return $"null character not allowed @{i}";
            if (c == '/' && last == '/') return $"empty node name specified @{i}";
            if (c == '.' && last == '.' && path[i - 2] == '/' && (i + 1 == path.Length || path[i + 1] == '/'))
                return $"relative paths not allowed @{i}";
            if (c == '.' && last == '/' && (i + 1 == path.Length || path[i + 1] == '/'))
                return $"relative paths not allowed @{i}";
            if ((c > '\u0000' && c <= '\u001f') || (c >= '\u007f' && c <= '\u009F')
                || (c >= '\ud800' && c <= '\uf8ff') || (c >= '\ufff0' && c <= '\uffff'))
                return $"invalid character @{i}";
            last = c;
        }
        return null;
    }

    public static bool IsValid(string? path, bool sequential = false) => Validate(path, sequential) is null;

    /// <summary>The parent of a valid, non-root path ("/a/b" → "/a", "/a" → "/").</summary>
    public static string Parent(string path)
    {
        int i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    /// <summary>The last segment of a valid, non-root path.</summary>
    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static string Join(string parent, string child) => parent == "/" ? "/" + child : parent + "/" + child;
}
