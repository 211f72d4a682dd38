// Tab completion: command names for the first word, znode paths (children fetched from the server) after it.
using Coordinator.Client;
using Coordinator.Core;
using RadLine;

namespace Coordinator.Shell.Console;

internal sealed class PathCompletion(ShellSession session) : ITextCompletion
{
    /// <summary>A completion never holds the prompt longer than this, even if the server is slow or gone.</summary>
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(2);

    public IEnumerable<string> GetCompletions(string prefix, string word, string suffix)
    {
        if (string.IsNullOrWhiteSpace(prefix))
            return CommandRegistry.Names.Where(n => n.StartsWith(word, StringComparison.Ordinal)).ToList();
        if (!word.StartsWith('/') || session.Client is not { } client) return [];
        return Children(client, word);
    }

    /// <summary>Full paths of the children of the word's parent whose names start with the word's last part.</summary>
    internal static List<string> Children(CoordinatorClient client, string word)
    {
        int slash = word.LastIndexOf('/');
        string parent = slash == 0 ? "/" : word[..slash];
        string start = word[(slash + 1)..];
        if (!PathValidation.IsValid(parent)) return [];
        try
        {
            using var timeout = new CancellationTokenSource(FetchTimeout);
            var children = client.GetChildrenAsync(parent, timeout.Token).GetAwaiter().GetResult().Children;
            return [.. children.Where(c => c.StartsWith(start, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
                .Select(c => PathValidation.Join(parent, c))];
        }
        catch (Exception e) when (e is KeeperException or OperationCanceledException or ObjectDisposedException)
        {
            return [];
        }
    }
}
