// Dispatches four-letter words (ruok, srvr, mntr, ...) that arrive on the client port, honouring 4lw.commands.whitelist.
//
// Words and where they are answered:
//   ruok "imok" (no newline); gtmk/stmk the trace mask as a decimal number (no newline) -- answered here.
//   envi, conf, dirs -- answered here from settings and the process (EnvironmentWords), never touching the loop.
//   everything else -- rendered on the server loop (FourLetterWordOutput), which owns the state they read.
// A word outside the whitelist gets ZooKeeper's refusal text and nothing else.
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Coordinator.Server.Configuration;

namespace Coordinator.Server;

public sealed class FourLetterWords(ServerNode server, Func<FourLetterWordContext> context)
{
    /// <summary>ZooKeeper's default trace mask (client requests, client pings and session events): 0b100110010.</summary>
    public const long DefaultTraceMask = 306;

    /// <summary>Bytes stmk reads after the word: the new trace mask as a big-endian long.</summary>
    public const int TraceMaskArgumentBytes = 8;

    private long _traceMask = DefaultTraceMask;

    /// <summary>True when the first four bytes of a connection spell a word ZooKeeper knows (not a packet length).</summary>
    public static bool LooksLikeWord(ReadOnlySpan<byte> prefix)
    {
        if (prefix.Length != 4) return false;
        foreach (byte b in prefix)
            if (b is < (byte)'a' or > (byte)'z') return false;
        return ServerSettings.KnownFourLetterWords.Contains(Encoding.ASCII.GetString(prefix));
    }

    /// <summary>How many bytes follow the word on the wire: 8 for stmk (its argument), 0 for every other word.</summary>
    public static int ArgumentBytes(string word) => word == "stmk" ? TraceMaskArgumentBytes : 0;

    /// <summary>The trace mask gtmk reports and stmk sets. This server's logging does not consult it.</summary>
    public long TraceMask => Interlocked.Read(ref _traceMask);

    public bool IsAllowed(string word) => server.Settings.IsFourLetterWordAllowed(word);

    public Task<string> RunAsync(string word, CancellationToken ct) => RunAsync(word, ReadOnlyMemory<byte>.Empty, ct);

    /// <summary>Answers one word; <paramref name="argument"/> holds the <see cref="ArgumentBytes"/> that followed it.</summary>
    public async Task<string> RunAsync(string word, ReadOnlyMemory<byte> argument, CancellationToken ct)
    {
        if (!IsAllowed(word)) return $"{word} is not executed because it is not in the whitelist.\n";
        switch (word)
        {
            case "ruok": return "imok";
            case "gtmk": return TraceMask.ToString(CultureInfo.InvariantCulture);
            case "stmk": return SetTraceMask(argument.Span);
            case "envi": return EnvironmentWords.Envi(context().Version);
            case "conf": return EnvironmentWords.Conf(server.Settings);
            case "dirs": return EnvironmentWords.Dirs(server.Settings);
        }
        if (!FourLetterWordOutput.NeedsLoop(word)) return "";
        var input = new WordInputs(context().Version, word == "mntr" ? ProcessFacts.Read() : ProcessFacts.None);
        return await server.QueryAsync(node => FourLetterWordOutput.Render(word, node, input), ct);
    }

    /// <summary>Without its 8-byte argument ZooKeeper closes the connection silently; so do we (an empty answer).</summary>
    private string SetTraceMask(ReadOnlySpan<byte> argument)
    {
        if (argument.Length < TraceMaskArgumentBytes) return "";
        long mask = BinaryPrimitives.ReadInt64BigEndian(argument);
        Interlocked.Exchange(ref _traceMask, mask);
        return mask.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>Facts only the host knows (listener address, version), passed to the renderers.</summary>
public sealed record FourLetterWordContext(string ClientAddress, int ClientPort, string Version);
