// ZooKeeper's result codes as typed exceptions that carry the code and the path the operation was about.
using Coordinator.Core;

namespace Coordinator.Client;

/// <summary>
/// A non-OK result code from the server (or from the connection, for ConnectionLoss and SessionExpired).
/// Catch the subclass for the codes you expect (<see cref="NoNodeException"/>, <see cref="NodeExistsException"/>,
/// <see cref="BadVersionException"/>, ...) and this base type for the rest.
/// </summary>
public class KeeperException : Exception
{
    public KeeperException(ErrorCode code, string? path, string? detail = null)
        : base(Describe(code, path, detail))
    {
        Code = code;
        Path = path;
    }

    public ErrorCode Code { get; }

    /// <summary>The client-side path (chroot removed) of the operation that failed, when it had one.</summary>
    public string? Path { get; }

    /// <summary>For a failed multi: the result of every op, in order; the first error explains the failure.</summary>
    public IReadOnlyList<OpResult>? OpResults { get; internal set; }

    /// <summary>ZooKeeper's wording, so messages read like those of the Java client and zkCli.</summary>
    public static string CodeMessage(ErrorCode code) => code switch
    {
        ErrorCode.Ok => "ok",
        ErrorCode.SystemError => "SystemError",
        ErrorCode.RuntimeInconsistency => "RuntimeInconsistency",
        ErrorCode.DataInconsistency => "DataInconsistency",
        ErrorCode.ConnectionLoss => "ConnectionLoss",
        ErrorCode.MarshallingError => "MarshallingError",
        ErrorCode.Unimplemented => "Unimplemented",
        ErrorCode.OperationTimeout => "OperationTimeout",
        ErrorCode.BadArguments => "BadArguments",
        ErrorCode.UnknownSession => "Unknown session",
        ErrorCode.NewConfigNoQuorum => "New config has no quorum",
        ErrorCode.ReconfigInProgress => "Another reconfiguration is in progress",
        ErrorCode.ApiError => "APIError",
        ErrorCode.NoNode => "NoNode",
        ErrorCode.NoAuth => "NoAuth",
        ErrorCode.BadVersion => "BadVersion",
        ErrorCode.NoChildrenForEphemerals => "NoChildrenForEphemerals",
        ErrorCode.NodeExists => "NodeExists",
        ErrorCode.NotEmpty => "Directory not empty",
        ErrorCode.SessionExpired => "Session expired",
        ErrorCode.InvalidCallback => "Invalid callback",
        ErrorCode.InvalidAcl => "InvalidACL",
        ErrorCode.AuthFailed => "AuthFailed",
        ErrorCode.SessionMoved => "Session moved",
        ErrorCode.NotReadOnly => "Not a read-only call",
        ErrorCode.EphemeralOnLocalSession => "Ephemeral node on local session",
        ErrorCode.NoWatcher => "No such watcher",
        ErrorCode.RequestTimeout => "Request timeout",
        ErrorCode.ReconfigDisabled => "Reconfig is disabled",
        ErrorCode.SessionClosedRequireSaslAuth => "Session closed because client failed to authenticate",
        ErrorCode.QuotaExceeded => "Quota has exceeded",
        ErrorCode.Throttled => "Op throttled due to high load",
        _ => "Unknown error " + (int)code,
    };

    private static string Describe(ErrorCode code, string? path, string? detail)
    {
        string text = "KeeperErrorCode = " + CodeMessage(code);
        if (path is not null) text += " for " + path;
        return detail is null ? text : text + ": " + detail;
    }

    /// <summary>The typed exception for a code; the factory every decoder uses, so the mapping lives in one place.</summary>
    public static KeeperException Create(ErrorCode code, string? path, string? detail = null) => code switch
    {
        ErrorCode.NoNode => new NoNodeException(path, detail),
        ErrorCode.NodeExists => new NodeExistsException(path, detail),
        ErrorCode.BadVersion => new BadVersionException(path, detail),
        ErrorCode.NotEmpty => new NotEmptyException(path, detail),
        ErrorCode.NoAuth => new NoAuthException(path, detail),
        ErrorCode.NoChildrenForEphemerals => new NoChildrenForEphemeralsException(path, detail),
        ErrorCode.InvalidAcl => new InvalidAclException(path, detail),
        ErrorCode.AuthFailed => new AuthFailedException(path, detail),
        ErrorCode.SessionExpired => new SessionExpiredException(path, detail),
        ErrorCode.ConnectionLoss => new ConnectionLossException(path, detail),
        ErrorCode.BadArguments => new BadArgumentsException(path, detail),
        ErrorCode.Unimplemented => new UnimplementedException(path, detail),
        ErrorCode.NoWatcher => new NoWatcherException(path, detail),
        ErrorCode.NotReadOnly => new NotReadOnlyException(path, detail),
        ErrorCode.SessionMoved => new SessionMovedException(path, detail),
        ErrorCode.QuotaExceeded => new QuotaExceededException(path, detail),
        ErrorCode.ReconfigDisabled => new ReconfigDisabledException(path, detail),
        ErrorCode.Throttled => new ThrottledException(path, detail),
        _ => new KeeperException(code, path, detail),
    };
}

public sealed class NoNodeException(string? path, string? detail = null) : KeeperException(ErrorCode.NoNode, path, detail);

public sealed class NodeExistsException(string? path, string? detail = null) : KeeperException(ErrorCode.NodeExists, path, detail);

public sealed class BadVersionException(string? path, string? detail = null) : KeeperException(ErrorCode.BadVersion, path, detail);

public sealed class NotEmptyException(string? path, string? detail = null) : KeeperException(ErrorCode.NotEmpty, path, detail);

public sealed class NoAuthException(string? path, string? detail = null) : KeeperException(ErrorCode.NoAuth, path, detail);

public sealed class NoChildrenForEphemeralsException(string? path, string? detail = null)
    : KeeperException(ErrorCode.NoChildrenForEphemerals, path, detail);

public sealed class InvalidAclException(string? path, string? detail = null) : KeeperException(ErrorCode.InvalidAcl, path, detail);

public sealed class AuthFailedException(string? path, string? detail = null) : KeeperException(ErrorCode.AuthFailed, path, detail);

/// <summary>The session is gone: its ephemeral nodes are deleted and its watches dropped by the server.</summary>
public sealed class SessionExpiredException(string? path, string? detail = null) : KeeperException(ErrorCode.SessionExpired, path, detail);

/// <summary>
/// The connection dropped while the request was in flight (or no server answered in time), so whether it was
/// applied is unknown. Reads are safe to retry; writes need a check (recipes use a unique node-name prefix).
/// </summary>
public sealed class ConnectionLossException(string? path, string? detail = null) : KeeperException(ErrorCode.ConnectionLoss, path, detail);

public sealed class BadArgumentsException(string? path, string? detail = null) : KeeperException(ErrorCode.BadArguments, path, detail);

public sealed class UnimplementedException(string? path, string? detail = null) : KeeperException(ErrorCode.Unimplemented, path, detail);

public sealed class NoWatcherException(string? path, string? detail = null) : KeeperException(ErrorCode.NoWatcher, path, detail);

public sealed class NotReadOnlyException(string? path, string? detail = null) : KeeperException(ErrorCode.NotReadOnly, path, detail);

public sealed class SessionMovedException(string? path, string? detail = null) : KeeperException(ErrorCode.SessionMoved, path, detail);

public sealed class QuotaExceededException(string? path, string? detail = null) : KeeperException(ErrorCode.QuotaExceeded, path, detail);

public sealed class ReconfigDisabledException(string? path, string? detail = null) : KeeperException(ErrorCode.ReconfigDisabled, path, detail);

public sealed class ThrottledException(string? path, string? detail = null) : KeeperException(ErrorCode.Throttled, path, detail);
