// Reads the Java .properties syntax zoo.cfg is written in: comments, separators, escapes, line continuations.
using System.Globalization;
using System.Text;

namespace Coordinator.Host.Configuration;

/// <summary>One key and value as read, with the line it started on (for messages).</summary>
internal readonly record struct PropertyEntry(string Key, string Value, int Line);

/// <summary>
/// A reader for the subset of java.util.Properties text that zoo.cfg files use, so files written for
/// ZooKeeper mean the same here: '#' or '!' starts a comment line; the key ends at the first unescaped
/// '=', ':' or whitespace; a line ending in an odd number of backslashes continues on the next line
/// (whose leading whitespace is dropped); \t \n \r \f \uXXXX and \x escapes are decoded. Unlike Java, the
/// value is also trimmed at the end, because ZooKeeper trims every value before using it.
/// </summary>
internal static class JavaProperties
{
    public static IReadOnlyList<PropertyEntry> Read(string text, string source)
    {
        var entries = new List<PropertyEntry>();
        string[] lines = text.ReplaceLineEndings("\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int startLine = i + 1;
            string line = lines[i].TrimStart(' ', '\t', '\f');
            if (line.Length == 0 || line[0] is '#' or '!')
            {
                continue;
            }
            var logical = new StringBuilder(line);
            while (EndsWithContinuation(logical) && i + 1 < lines.Length)
            {
                logical.Length--;
                logical.Append(lines[++i].TrimStart(' ', '\t', '\f'));
            }
            if (EndsWithContinuation(logical))
            {
                logical.Length--; // a continuation on the last line continues into nothing
            }
            entries.Add(Split(logical.ToString(), source, startLine));
        }
        return entries;
    }

    private static bool EndsWithContinuation(StringBuilder line)
    {
        int backslashes = 0;
        for (int i = line.Length - 1; i >= 0 && line[i] == '\\'; i--)
        {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    private static PropertyEntry Split(string line, string source, int lineNumber)
    {
        int keyEnd = 0;
        while (keyEnd < line.Length && !IsKeyTerminator(line[keyEnd]))
        {
            keyEnd += line[keyEnd] == '\\' ? 2 : 1;
        }
        keyEnd = Math.Min(keyEnd, line.Length);

        int valueStart = SkipWhitespace(line, keyEnd);
        if (valueStart < line.Length && line[valueStart] is '=' or ':')
        {
            valueStart = SkipWhitespace(line, valueStart + 1);
        }
        string key = Unescape(line[..keyEnd], source, lineNumber);
        string value = Unescape(line[valueStart..], source, lineNumber).Trim();
        return new PropertyEntry(key, value, lineNumber);
    }

    private static bool IsKeyTerminator(char c) => c is '=' or ':' or ' ' or '\t' or '\f';

    private static int SkipWhitespace(string line, int index)
    {
        while (index < line.Length && line[index] is ' ' or '\t' or '\f')
        {
            index++;
        }
        return index;
    }

    private static string Unescape(string text, string source, int lineNumber)
    {
        if (!text.Contains('\\', StringComparison.Ordinal))
        {
            return text;
        }
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '\\' || i + 1 == text.Length)
            {
                result.Append(c);
                continue;
            }
            char next = text[++i];
            switch (next)
            {
                case 't': result.Append('\t'); break;
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                case 'f': result.Append('\f'); break;
                case 'u':
                    result.Append(UnicodeEscape(text, i + 1, source, lineNumber));
                    i += 4;
                    break;
                default: result.Append(next); break;
            }
        }
        return result.ToString();
    }

    private static char UnicodeEscape(string text, int start, string source, int lineNumber)
    {
        if (start + 4 > text.Length
            || !ushort.TryParse(text.AsSpan(start, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort code))
        {
            throw new ConfigException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: line {lineNumber} is not valid: a \\u escape needs four hex digits, e.g. \\u00e9"));
        }
        return (char)code;
    }
}
