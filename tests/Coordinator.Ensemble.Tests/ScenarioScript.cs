// Runs one kazoo scenario (tests/ensemble/ensemble_scenarios.py) and answers its requests to kill/restart members or find the leader.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coordinator.Ensemble.Tests;

internal sealed record ScenarioResult(int ExitCode, bool TimedOut, bool Passed, string Transcript, IReadOnlyList<string> Measures, TimeSpan Elapsed);

internal static class ScenarioScript
{
    /// <summary>Debian's interpreter: the only one that can import python3-kazoo.</summary>
    public const string Python = "/usr/bin/python3";

    public static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "ensemble", "ensemble_scenarios.py");

    private static readonly TimeSpan DefaultLeaderTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="scenario"/> against <paramref name="cluster"/>. The script prints `CTL {json}` when it
    /// needs the harness; the reply goes to its stdin as one JSON line. Killed (it is our own child) after
    /// <paramref name="timeout"/>.
    /// </summary>
    public static async Task<ScenarioResult> RunAsync(EnsembleCluster cluster, string scenario, TimeSpan timeout, Action<string> trace)
    {
        var config = new JsonObject
        {
            ["nodes"] = new JsonArray([.. cluster.Nodes.Select(n => (JsonNode)new JsonObject
            {
                ["id"] = n.Id,
                ["port"] = n.ClientPort,
                ["observer"] = n.IsObserver,
            })]),
        };
        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = cluster.Root,
        };
        foreach (string a in new[] { "-B", "-u", ScriptPath, scenario, config.ToJsonString() }) psi.ArgumentList.Add(a);
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        psi.Environment["PYTHONIOENCODING"] = "utf-8";

        var transcript = new StringBuilder();
        var measures = new List<string>();
        var watch = Stopwatch.StartNew();
        void Note(string line)
        {
            string stamped = $"[{watch.Elapsed.TotalSeconds,7:F2}] {line}";
            lock (transcript) transcript.Append(stamped).Append('\n');
        }

        using var process = new Process { StartInfo = psi };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Note("stderr: " + e.Data);
        };
        process.Start();
        process.BeginErrorReadLine();
        bool passed = false;
        bool timedOut = false;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                Note(line);
                if (line.StartsWith("MEASURE ", StringComparison.Ordinal)) measures.Add(line["MEASURE ".Length..]);
                if (line == "RESULT PASS") passed = true;
                if (!line.StartsWith("CTL ", StringComparison.Ordinal)) continue;
                string reply = await HandleAsync(cluster, line["CTL ".Length..]);
                Note("reply: " + reply);
                await process.StandardInput.WriteLineAsync(reply.AsMemory(), cts.Token);
                await process.StandardInput.FlushAsync(cts.Token);
            }
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            Note($"scenario timed out after {timeout.TotalSeconds:F0} s; killing the script (pid {process.Id})");
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await process.WaitForExitAsync(drain.Token); } catch (OperationCanceledException) { }
        }
        catch (IOException e)
        {
            // The script exited while we were answering it.
            Note("control channel broke: " + e.Message);
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await process.WaitForExitAsync(drain.Token); } catch (OperationCanceledException) { }
        }
        int exit = process.HasExited ? process.ExitCode : -1;
        string text;
        lock (transcript) text = transcript.ToString();
        trace($"scenario {scenario} on {cluster.Kind}: exit {exit}{(timedOut ? " (timed out)" : "")} after {watch.Elapsed.TotalSeconds:F1} s");
        return new ScenarioResult(exit, timedOut, passed && exit == 0 && !timedOut, text, measures, watch.Elapsed);
    }

    private static async Task<string> HandleAsync(EnsembleCluster cluster, string json)
    {
        try
        {
            var request = JsonNode.Parse(json)!.AsObject();
            string op = request["op"]!.GetValue<string>();
            TimeSpan Timeout(TimeSpan fallback) =>
                request["timeout"] is { } t ? TimeSpan.FromSeconds(t.GetValue<double>()) : fallback;
            EnsembleNode Target() => cluster.Node(request["node"]!.GetValue<int>());
            switch (op)
            {
                case "leader":
                {
                    var leader = await cluster.WaitForLeaderAsync(Timeout(DefaultLeaderTimeout));
                    return Ok(new JsonObject { ["leader"] = leader.Id });
                }
                case "kill":
                    await cluster.KillAsync(Target());
                    return Ok(new JsonObject());
                case "restart":
                    await cluster.RestartAsync(Target(), Timeout(EnsembleCluster.ReadyTimeout));
                    return Ok(new JsonObject());
                case "ready":
                {
                    var nodes = request["nodes"]!.AsArray().Select(n => cluster.Node(n!.GetValue<int>())).ToList();
                    await cluster.WaitReadyAsync(nodes, Timeout(EnsembleCluster.ReadyTimeout));
                    return Ok(new JsonObject());
                }
                default:
                    return Error($"unknown op {op}");
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or JsonException or FormatException or NullReferenceException)
        {
            return Error(e.Message);
        }
    }

    private static string Ok(JsonObject body)
    {
        body["ok"] = true;
        return body.ToJsonString();
    }

    private static string Error(string message) =>
        new JsonObject { ["ok"] = false, ["error"] = message }.ToJsonString();

    public static string Describe(ScenarioResult r) =>
        string.Create(CultureInfo.InvariantCulture, $"exit {r.ExitCode}{(r.TimedOut ? " (timed out)" : "")} after {r.Elapsed.TotalSeconds:F1} s");
}
