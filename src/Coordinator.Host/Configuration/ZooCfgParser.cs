// Turns zoo.cfg text and command-line overrides into one validated ServerSettings (DESIGN.md habit 12).
using Coordinator.Server.Configuration;

namespace Coordinator.Host.Configuration;

/// <summary>
/// Reads zoo.cfg as ZooKeeper 3.8 does, with deliberate differences: clientPort and dataDir have defaults
/// (2181, ./data) instead of being required; unknown keys produce warnings (ZooKeeper silently turns them
/// into system properties, hiding typos); values are checked strictly (ZooKeeper accepts e.g.
/// maxClientCnxns=-3); and keys that would change membership if ignored (dynamicConfigFile, group.N,
/// weight.N) are refused. Relative dataDir/dataLogDir resolve against the directory the server runs in,
/// not the config file's directory, because that is what ZooKeeper does (it hands the text to java.io.File).
/// Overrides are "key=value" strings taken literally (no properties escapes, so Windows paths survive the
/// shell); besides zoo.cfg keys they accept <c>myid=N</c>, which sets the server id without a myid file.
/// </summary>
public static class ZooCfgParser
{
    /// <summary>How messages name the config text given to <see cref="Parse(string, string, out IReadOnlyList{string})"/>.</summary>
    public const string ConfigSource = "zoo.cfg";

    /// <summary>How messages name values that came from overrides.</summary>
    public const string OverrideSource = "override";

    /// <summary>The override key that gives the server id directly.</summary>
    public const string MyIdKey = "myid";

    public static ServerSettings Parse(string text, string baseDirectory, out IReadOnlyList<string> warnings) =>
        Parse(text, baseDirectory, [], out warnings);

    /// <summary>Parses zoo.cfg text, then applies overrides, and validates the result once.</summary>
    public static ServerSettings Parse(
        string text, string baseDirectory, IEnumerable<string> overrides, out IReadOnlyList<string> warnings) =>
        ParseFrom(text, ConfigSource, baseDirectory, overrides, out warnings);

    /// <summary>Reads the file at <paramref name="path"/>; relative directories resolve against the current directory.</summary>
    public static ServerSettings Load(string path, out IReadOnlyList<string> warnings) => Load(path, [], out warnings);

    /// <summary>
    /// Reads the file, then applies overrides, and validates once. Prefer this to Load + ApplyOverrides
    /// when overrides are at hand: an ensemble config whose myid comes from a <c>myid=N</c> override only
    /// validates when both are seen together.
    /// </summary>
    public static ServerSettings Load(string path, IEnumerable<string> overrides, out IReadOnlyList<string> warnings)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigException($"{path}: the config file does not exist");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: the config file cannot be read: {e.Message}");
        }
        return ParseFrom(text, path, Environment.CurrentDirectory, overrides, out warnings);
    }

    /// <summary>
    /// As the overload with warnings, for callers that have nowhere to log them. Prefer that overload: a
    /// misspelt override key is only reported as a warning.
    /// </summary>
    public static ServerSettings ApplyOverrides(ServerSettings settings, IEnumerable<string> keyEqualsValue) =>
        ApplyOverrides(settings, keyEqualsValue, Environment.CurrentDirectory, out _);

    public static ServerSettings ApplyOverrides(
        ServerSettings settings, IEnumerable<string> keyEqualsValue, out IReadOnlyList<string> warnings) =>
        ApplyOverrides(settings, keyEqualsValue, Environment.CurrentDirectory, out warnings);

    /// <summary>
    /// Applies "key=value" overrides on top of <paramref name="settings"/>, later ones winning, then validates
    /// the result as a whole. A myid=N override wins; otherwise a myid file in the final dataDir does;
    /// otherwise the id already in <paramref name="settings"/> stays.
    /// </summary>
    public static ServerSettings ApplyOverrides(
        ServerSettings settings, IEnumerable<string> keyEqualsValue, string baseDirectory, out IReadOnlyList<string> warnings)
    {
        var fold = new ZooCfgFold(settings, baseDirectory, OverrideSource);
        ApplyOverrideItems(fold, keyEqualsValue);
        return fold.Finish(out warnings);
    }

    private static ServerSettings ParseFrom(
        string text, string source, string baseDirectory, IEnumerable<string> overrides, out IReadOnlyList<string> warnings)
    {
        var start = ServerSettings.Default with { DataDir = ZooCfgFold.ResolvePath(ServerSettings.Default.DataDir, baseDirectory) };
        var fold = new ZooCfgFold(start, baseDirectory, source);
        foreach (var entry in JavaProperties.Read(text, source))
        {
            fold.Apply(entry.Key, entry.Value, source);
        }
        ApplyOverrideItems(fold, overrides);
        return fold.Finish(out warnings);
    }

    private static void ApplyOverrideItems(ZooCfgFold fold, IEnumerable<string> keyEqualsValue)
    {
        foreach (string item in keyEqualsValue)
        {
            int equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || item[..equals].Trim().Length == 0)
            {
                throw new ConfigException($"{OverrideSource}: '{item}' is not valid: expected key=value, e.g. clientPort=2182");
            }
            fold.Apply(item[..equals].Trim(), item[(equals + 1)..].Trim(), OverrideSource);
        }
    }
}
