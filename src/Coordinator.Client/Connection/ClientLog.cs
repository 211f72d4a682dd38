// The client's log lines, with stable event ids (1xxx connection, 2xxx watches and callbacks, 3xxx recipes).
using Microsoft.Extensions.Logging;

namespace Coordinator.Client.Connection;

internal static partial class ClientLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Session 0x{SessionId:x} established with {Server} (timeout {TimeoutMs} ms{ReadOnly})")]
    public static partial void Connected(ILogger log, long sessionId, string server, int timeoutMs, string readOnly);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Disconnected from {Server}: {Reason}")]
    public static partial void Disconnected(ILogger log, string server, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Could not connect to {Server}: {Reason}")]
    public static partial void ConnectFailed(ILogger log, string server, string reason);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Session 0x{SessionId:x} expired{Renewing}")]
    public static partial void Expired(ILogger log, long sessionId, string renewing);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Authentication with scheme {Scheme} failed")]
    public static partial void AuthFailed(ILogger log, string scheme);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Re-registering watches failed with {Error}")]
    public static partial void SetWatchesFailed(ILogger log, string error);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Debug, Message = "Re-registering {Count} watches in {Chunks} setWatches2 packets")]
    public static partial void SettingWatches(ILogger log, int count, int chunks);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Session 0x{SessionId:x} closed")]
    public static partial void Closed(ILogger log, long sessionId);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "No server reachable for {Ms} ms; failing {Reason}")]
    public static partial void GivingUpQueued(ILogger log, long ms, string reason);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Error, Message = "Protocol violation from {Server}: {Detail}")]
    public static partial void ProtocolViolation(ILogger log, string server, string detail);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Read-write server {Server} found; leaving read-only {Current}")]
    public static partial void ReadWriteServerFound(ILogger log, string server, string current);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "A watch or state callback threw")]
    public static partial void CallbackFailed(ILogger log, Exception error);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Recipe {Recipe} at {Path}: {Detail}")]
    public static partial void RecipeProblem(ILogger log, string recipe, string path, string detail);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Recipe {Recipe} at {Path}: {Detail}")]
    public static partial void RecipeInfo(ILogger log, string recipe, string path, string detail);
}
