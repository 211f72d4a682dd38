// What one command produced: zkCli's text lines for people, and a JSON object for --json.
using System.Text.Json.Nodes;

namespace Coordinator.Shell.Output;

/// <summary>Commands fill both forms; the session prints the one the user asked for.</summary>
internal sealed class CommandOutput
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines => _lines;

    public JsonObject Json { get; } = [];

    public void Line(string text) => _lines.Add(text);

    public void Set(string key, JsonNode? value) => Json[key] = value;
}
