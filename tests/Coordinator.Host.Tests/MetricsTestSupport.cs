// Helpers for the monitoring tests: bounded HTTP GETs, the repository's paths, a bounded child process, and a shared state builder.
using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Host.Tests;

internal static class MetricsTestSupport
{
    public static readonly TimeSpan HttpTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The repository root, found from this source file's path (the test dll may be built anywhere).</summary>
    public static string RepoRoot([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    public static string PrometheusCheckScript => Path.Combine(RepoRoot(), "tests", "compat", "prometheus_check.py");

    public static async Task<(HttpStatusCode Status, string ContentType, string Body)> GetAsync(IPEndPoint endPoint, string path, HttpMethod? method = null)
    {
        using var http = new HttpClient { Timeout = HttpTimeout };
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, $"http://{endPoint}{path}");
        using var response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "", body);
    }

    public static async Task<JsonObject> GetJsonAsync(IPEndPoint endPoint, string path)
    {
        var (status, contentType, body) = await GetAsync(endPoint, path);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("application/json", contentType, StringComparison.Ordinal);
        return JsonNode.Parse(body) as JsonObject ?? throw new InvalidDataException($"{path} did not answer a JSON object: {body}");
    }

    /// <summary>Runs a program with arguments and a time limit; kills it (and only it) when the limit passes.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, IEnumerable<string> args, TimeSpan limit)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {limit.TotalSeconds} s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// The state the comparisons with Apache ZooKeeper use: a parent znode, <paramref name="children"/> children,
    /// an ephemeral owned by the returned session, and a data watch and a child watch it holds. Paths are under a
    /// unique prefix so several tests can share one server; disposing closes the session, so it cannot expire
    /// later and move another test's figures.
    /// </summary>
    public static async Task<StateSession> BuildStateAsync(IPEndPoint endPoint, string prefix, int children)
    {
        var client = await TestClient.ConnectAsync(endPoint);
        try
        {
            Ok(await client.CreateAsync(prefix, Encoding.UTF8.GetBytes("parent")));
            for (int i = 0; i < children; i++) Ok(await client.CreateAsync($"{prefix}/n{i}", []));
            Ok(await client.CreateAsync($"{prefix}/e", Encoding.UTF8.GetBytes("mine"), flags: 1));
            Ok(await client.CallAsync(OpCode.GetData, new PathWatchRequest(OpCode.GetData, prefix, true)));
            Ok(await client.CallAsync(OpCode.GetChildren, new PathWatchRequest(OpCode.GetChildren, prefix, true)));
            return new StateSession(client);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client whose session is closed politely on dispose (its ephemeral goes with it).</summary>
    public sealed class StateSession(TestClient client) : IAsyncDisposable
    {
        public TestClient Client { get; } = client;

        public long SessionId => Client.SessionId;

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Client.CloseSessionAsync();
            }
            catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException or InvalidOperationException) { }
            await Client.DisposeAsync();
        }
    }

    public static void Ok(WireReply reply) => Assert.True(reply.Err == 0, $"request failed with error {reply.Err}");

    /// <summary>Every key path in a JSON value: "a.b" for nested objects, "a[].c" for objects in arrays; map keys that are ids or paths become "*".</summary>
    public static SortedSet<string> KeyPaths(JsonNode? node, string prefix = "")
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    string name = IsDataKey(key) ? "*" : key;
                    string path = prefix.Length == 0 ? name : prefix + "." + name;
                    paths.Add(path);
                    paths.UnionWith(KeyPaths(value, path));
                }
                break;
            case JsonArray array:
                foreach (var item in array) paths.UnionWith(KeyPaths(item, prefix + "[]"));
                break;
        }
        return paths;
    }

    /// <summary>Keys that are data (session ids, expiry times, znode paths), not field names.</summary>
    private static bool IsDataKey(string key) => key.StartsWith('/') || key.All(char.IsAsciiDigit);
}
