// ZooKeeper's AdminServer on admin.serverAddress:admin.serverPort: /commands and /commands/<name> (JSON), plus /health/live and /health/ready.
//
// As ZooKeeper 3.8's Jetty AdminServer: GET /commands (and /commands/) lists every command as an HTML link;
// GET /commands/<name or alias>?key=value answers the command's JSON with HTTP 200, also for an unknown name
// (its "error" field says so); other methods get 405, other paths 404. Health endpoints are ours, for
// orchestrators: live is 200 while this process serves HTTP; ready is 200 while the server loop answers within
// ReadyTimeout, its transaction log works and, in an ensemble, it is in a quorum (leading, or synced with its leader).
using System.Text;
using System.Text.Json;
using Coordinator.Server;
using Coordinator.Server.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Coordinator.Host.Http;

internal sealed partial class AdminServer
{
    public const string CommandUrl = "/commands";

    /// <summary>The longest /health/ready waits for the server loop before answering 503.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The longest one admin command may take (a loop that does not answer, a huge dump) before 503.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    private readonly ServerNode _node;
    private readonly AdminCommands _commands;
    private readonly ILogger _log;

    public AdminServer(ServerNode node, AdminCommands commands, ILogger<AdminServer> log)
    {
        _node = node;
        _commands = commands;
        _log = log;
    }

    public void Map(WebApplication app)
    {
        // Routing matches "/commands/" here too: trailing slashes are ignored.
        app.MapGet(CommandUrl, ListCommands);
        app.MapGet(CommandUrl + "/{name}", RunCommand);
        app.MapGet("/health/live", Live);
        app.MapGet("/health/ready", Ready);
        app.MapFallback("{**path}", Refuse);
    }

    /// <summary>ZooKeeper prints one link per primary name, each followed by a line break.</summary>
    private Task ListCommands(HttpContext context)
    {
        var html = new StringBuilder();
        foreach (string name in AdminCommands.PrimaryNames)
        {
            html.Append("<a href=\"").Append(CommandUrl).Append('/').Append(name).Append("\">").Append(name).Append("</a>\n<br/>\n");
        }
        return HttpAnswers.Text(context, StatusCodes.Status200OK, "text/html; charset=utf-8", html.ToString());
    }

    private async Task RunCommand(HttpContext context)
    {
        string name = (string?)context.Request.RouteValues["name"] ?? "";
        var args = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.FirstOrDefault() ?? "", StringComparer.Ordinal);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(CommandTimeout);
        System.Text.Json.Nodes.JsonObject response;
        try
        {
            response = await _commands.RunAsync(name, args, timeout.Token);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogCommandTimedOut(name, (int)CommandTimeout.TotalMilliseconds);
            await HttpAnswers.Text(context, StatusCodes.Status503ServiceUnavailable, "application/json",
                $"{{\"command\": {JsonSerializer.Serialize(name)}, \"error\": \"the server did not answer within {CommandTimeout.TotalSeconds} s\"}}");
            return;
        }
        if (AdminCommands.PrimaryNameOf(name) is null) LogUnknownCommand(name, context.Connection.RemoteIpAddress?.ToString() ?? "?");
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await using (var writer = new Utf8JsonWriter(context.Response.Body, Indented))
        {
            response.WriteTo(writer);
        }
    }

    private Task Live(HttpContext context) =>
        HttpAnswers.Text(context, StatusCodes.Status200OK, "application/json", "{\"status\": \"live\"}");

    private async Task Ready(HttpContext context)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(ReadyTimeout);
        bool answered;
        string? logFailure = null;
        string mode = "standalone";
        bool serving = true;
        try
        {
            (logFailure, mode, serving) = await _node.QueryAsync(node => (node.LogFailure, node.Mode, node.IsServing), timeout.Token);
            answered = true;
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            answered = false;
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            answered = false;
        }
        if (answered && logFailure is null && serving)
        {
            await HttpAnswers.Text(context, StatusCodes.Status200OK, "application/json", $"{{\"status\": \"ready\", \"mode\": \"{mode}\"}}");
            return;
        }
        string reason = logFailure is not null ? $"the transaction log failed ({logFailure}): read-only until restart"
            : !answered ? $"the server loop did not answer within {ReadyTimeout.TotalMilliseconds} ms"
            : "not in a quorum: electing a leader or syncing with one";
        LogNotReady(reason);
        await HttpAnswers.Text(context, StatusCodes.Status503ServiceUnavailable, "application/json",
            $"{{\"status\": \"not_ready\", \"reason\": {JsonSerializer.Serialize(reason)}}}");
    }

    /// <summary>404 for unknown paths; 405 for a method other than GET on a known one (as Jetty answers ZooKeeper's).</summary>
    private Task Refuse(HttpContext context)
    {
        string path = context.Request.Path.ToString();
        bool known = path.StartsWith(CommandUrl, StringComparison.Ordinal) || path is "/health/live" or "/health/ready";
        string reason = known ? "only GET is allowed" : "no such endpoint";
        LogRefused(context.Request.Method, path, context.Connection.RemoteIpAddress?.ToString() ?? "?", reason);
        if (known)
        {
            context.Response.Headers.Allow = "GET";
            return HttpAnswers.Text(context, StatusCodes.Status405MethodNotAllowed, "text/plain; charset=utf-8", "Only GET is allowed.\n");
        }
        return HttpAnswers.Text(context, StatusCodes.Status404NotFound, "text/plain; charset=utf-8",
            $"Not found. Admin commands are listed under {CommandUrl}; health under /health/live and /health/ready.\n");
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Admin request {Method} {Path} from {Client} refused: {Reason}")]
    private partial void LogRefused(string method, string path, string client, string reason);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Admin command {Name} from {Client} refused: unknown command")]
    private partial void LogUnknownCommand(string name, string client);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Admin command {Name} refused: the server did not answer within {TimeoutMs} ms")]
    private partial void LogCommandTimedOut(string name, int timeoutMs);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Not ready: {Reason}")]
    private partial void LogNotReady(string reason);
}
