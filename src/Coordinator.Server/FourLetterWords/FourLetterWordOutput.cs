// Routes a four-letter word that needs the server's state to its renderer; runs on the server loop.
namespace Coordinator.Server;

/// <summary>What a renderer needs besides the node: the version string and facts read off the loop.</summary>
internal sealed record WordInputs(string Version, ProcessFacts Facts);

internal static class FourLetterWordOutput
{
    /// <summary>Words answered on the loop because they read (or reset) the tree, sessions, watches or counters.</summary>
    public static bool NeedsLoop(string word) => word is
        "srvr" or "stat" or "cons" or "crst" or "srst" or "mntr" or "dump" or "wchs" or "wchc" or "wchp" or "hash" or "isro";

    /// <summary>Renders one word. Must run on the loop (via <see cref="ServerNode.QueryAsync{T}"/>): it reads loop-owned state.</summary>
    public static string Render(string word, ServerNode node, WordInputs input) => word switch
    {
        "srvr" => StatWords.Srvr(node, input),
        "stat" => StatWords.Stat(node, input),
        "cons" => StatWords.Cons(node),
        "crst" => StatWords.Crst(node),
        "srst" => StatWords.Srst(node),
        "mntr" => MonitorWord.Mntr(node, input),
        "dump" => DumpWord.Dump(node),
        "wchs" => WatchWords.Wchs(node),
        "wchc" => WatchWords.Wchc(node),
        "wchp" => WatchWords.Wchp(node),
        "hash" => HashWord.Hash(node),
        // Read-only mode does not exist yet; a serving node always takes writes.
        "isro" => "rw",
        _ => throw new ArgumentException($"'{word}' is not a word answered on the loop", nameof(word)),
    };
}
