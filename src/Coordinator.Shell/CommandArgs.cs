// One typed line of shell input: zkCli's tokenising (quotes group words) and its POSIX-style options (-s, -v 3).
using System.Text;

namespace Coordinator.Shell;

/// <summary>A command's options and positional arguments, parsed against the options the command declares.</summary>
internal sealed class CommandArgs
{
    private readonly Dictionary<char, string?> _options = [];

    private CommandArgs(string name, IReadOnlyList<string> positional, string line)
    {
        Name = name;
        Positional = positional;
        Line = line;
    }

    public string Name { get; }

    /// <summary>Arguments after the command name that are not options, in order.</summary>
    public IReadOnlyList<string> Positional { get; }

    /// <summary>The line as typed (what history and redo keep).</summary>
    public string Line { get; }

    public bool Has(char option) => _options.ContainsKey(option);

    public string? Value(char option) => _options.GetValueOrDefault(option);

    public string? Arg(int index) => index < Positional.Count ? Positional[index] : null;

    /// <summary>
    /// Splits a line into words as zkCli does: whitespace separates, and a word wrapped in single or double quotes
    /// may hold spaces (the quotes are removed). Null for a blank line.
    /// </summary>
    public static List<string> Tokenize(string line)
    {
        var words = new List<string>();
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            if (i >= line.Length) break;
            char c = line[i];
            if (c is '"' or '\'')
            {
                int end = line.IndexOf(c, i + 1);
                if (end > 0)
                {
                    words.Add(line[(i + 1)..end]);
                    i = end + 1;
                    continue;
                }
            }
            var word = new StringBuilder();
            while (i < line.Length && !char.IsWhiteSpace(line[i])) word.Append(line[i++]);
            words.Add(word.ToString());
        }
        return words;
    }

    /// <summary>
    /// Parses the words after the command name. <paramref name="flags"/> are options without a value,
    /// <paramref name="valued"/> options that take the next word. Options may come before or after the path, as in
    /// zkCli (<c>deleteall /a -b 10</c>). With <paramref name="raw"/> every word is positional. Unknown options and a missing value are <see cref="ShellUsageException"/>s.
    /// </summary>
    public static CommandArgs Parse(string line, IReadOnlyList<string> words, string flags, string valued, bool raw = false)
    {
        var positional = new List<string>();
        var args = new CommandArgs(words[0], positional, line);
        for (int i = 1; i < words.Count; i++)
        {
            string w = words[i];
            bool isOption = !raw && w.Length >= 2 && w[0] == '-' && !char.IsDigit(w[1]);
            if (!isOption)
            {
                positional.Add(w);
                continue;
            }
            foreach (char o in w.AsSpan(1))
            {
                if (flags.Contains(o, StringComparison.Ordinal))
                {
                    args._options[o] = null;
                }
                else if (valued.Contains(o, StringComparison.Ordinal))
                {
                    if (i + 1 >= words.Count) throw new ShellUsageException($"Missing argument for option: {o}");
                    args._options[o] = words[++i];
                    break;
                }
                else
                {
                    throw new ShellUsageException($"Unrecognized option: -{o}");
                }
            }
        }
        return args;
    }
}
