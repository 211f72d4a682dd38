// gRPC status codes, the error a handler throws to end a call with one, and how ZooKeeper's result codes map onto them.
using System.Globalization;
using Coordinator.Core;

namespace Coordinator.Host.Grpc;

/// <summary>The status codes of the gRPC protocol, by number.</summary>
internal static class GrpcCode
{
    public const int Ok = 0;
    public const int Cancelled = 1;
    public const int Unknown = 2;
    public const int InvalidArgument = 3;
    public const int DeadlineExceeded = 4;
    public const int NotFound = 5;
    public const int AlreadyExists = 6;
    public const int PermissionDenied = 7;
    public const int ResourceExhausted = 8;
    public const int FailedPrecondition = 9;
    public const int Aborted = 10;
    public const int OutOfRange = 11;
    public const int Unimplemented = 12;
    public const int Internal = 13;
    public const int Unavailable = 14;
    public const int Unauthenticated = 16;

    /// <summary>
    /// ZooKeeper result code → gRPC status, following the gRPC guide's choices: ABORTED for a failed
    /// test-and-set (retry the read-modify-write), FAILED_PRECONDITION where the state must change first.
    /// README "gRPC API" prints this table.
    /// </summary>
    public static int FromZooKeeper(ErrorCode err) => err switch
    {
        ErrorCode.Ok => Ok,
        ErrorCode.NoNode => NotFound,
        ErrorCode.NodeExists => AlreadyExists,
        ErrorCode.BadVersion => Aborted,
        ErrorCode.NotEmpty or ErrorCode.NoChildrenForEphemerals or ErrorCode.SessionExpired or ErrorCode.SessionMoved
            or ErrorCode.UnknownSession or ErrorCode.EphemeralOnLocalSession => FailedPrecondition,
        ErrorCode.NoAuth => PermissionDenied,
        ErrorCode.AuthFailed => Unauthenticated,
        ErrorCode.BadArguments or ErrorCode.InvalidAcl or ErrorCode.MarshallingError => InvalidArgument,
        ErrorCode.Unimplemented or ErrorCode.ReconfigDisabled => Unimplemented,
        ErrorCode.Throttled or ErrorCode.QuotaExceeded => ResourceExhausted,
        ErrorCode.ConnectionLoss or ErrorCode.OperationTimeout or ErrorCode.RequestTimeout => Unavailable,
        _ => Internal,
    };
}

/// <summary>Ends a call with a non-OK status; the trailers say which ZooKeeper code (and multi op) caused it.</summary>
internal sealed class GrpcException(int status, string message, ErrorCode? zooKeeperCode = null, int? failedOp = null) : Exception(message)
{
    /// <summary>Trailer carrying ZooKeeper's result code (decimal, e.g. -101) when one caused the status.</summary>
    public const string ErrorCodeTrailer = "coordinator-error-code";

    /// <summary>Trailer naming the 0-based index of the operation that failed a Multi.</summary>
    public const string FailedOpTrailer = "coordinator-failed-op";

    public int Status { get; } = status;
    public ErrorCode? ZooKeeperCode { get; } = zooKeeperCode;
    public int? FailedOp { get; } = failedOp;

    public static GrpcException FromZooKeeper(ErrorCode err, string what, int? failedOp = null) =>
        new(GrpcCode.FromZooKeeper(err), $"{err}: {what}", err, failedOp);

    public IEnumerable<(string Name, string Value)> Trailers()
    {
        if (ZooKeeperCode is { } code) yield return (ErrorCodeTrailer, ((int)code).ToString(CultureInfo.InvariantCulture));
        if (FailedOp is { } op) yield return (FailedOpTrailer, op.ToString(CultureInfo.InvariantCulture));
    }
}
