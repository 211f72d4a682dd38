// Sequential path references ("prefix#k") resolved against the model tree, and printing paths with control characters escaped.
using System.Globalization;
using System.Text;

namespace Coordinator.StateMachine.Tests.Model;

public static class ScenarioPaths
{
    public const char RefMark = '#';

    /// <summary>
    /// Resolves "prefix#k" to the k-th (mod count) existing child whose name is the prefix's last segment
    /// followed by a sequence number; with none, to the prefix plus "0000000000". Other paths pass through.
    /// </summary>
    public static string Resolve(string path, Func<string, IEnumerable<string>?> childrenOf)
    {
        int mark = path.IndexOf(RefMark, StringComparison.Ordinal);
        if (mark < 0) return path;
        string prefix = path[..mark];
        int k = int.Parse(path[(mark + 1)..], CultureInfo.InvariantCulture);
        int slash = prefix.LastIndexOf('/');
        string parent = slash == 0 ? "/" : prefix[..slash];
        string namePrefix = prefix[(slash + 1)..];
        var matches = (childrenOf(parent) ?? [])
            .Where(n => n.Length == namePrefix.Length + 10 && n.StartsWith(namePrefix, StringComparison.Ordinal)
                        && n[namePrefix.Length..].All(char.IsAsciiDigit))
            .Order(StringComparer.Ordinal)
            .ToList();
        string name = matches.Count == 0 ? namePrefix + "0000000000" : matches[k % matches.Count];
        return parent == "/" ? "/" + name : parent + "/" + name;
    }

    /// <summary>A path for a log line: quoted when empty, control characters as \uXXXX.</summary>
    public static string Show(string path)
    {
        if (path.Length == 0) return "\"\"";
        var b = new StringBuilder(path.Length);
        foreach (char c in path)
        {
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) b.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else b.Append(c);
        }
        return b.ToString();
    }
}
