// A gRPC call to Coordinator that ended with a non-OK status, with the ZooKeeper result code behind it when there was one.
using Coordinator.Core;

namespace Coordinator.Client.Grpc;

/// <summary>The gRPC status codes, by number.</summary>
public enum GrpcStatusCode
{
    Ok = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

public sealed class CoordinatorGrpcException(GrpcStatusCode status, string message, ErrorCode? zooKeeperCode = null, int? failedOp = null)
    : Exception($"{status}: {message}")
{
    public GrpcStatusCode Status { get; } = status;

    /// <summary>The server's status message (grpc-message), decoded.</summary>
    public string Detail { get; } = message;

    /// <summary>ZooKeeper's result code from the coordinator-error-code trailer (e.g. NoNode), when one caused the status.</summary>
    public ErrorCode? ZooKeeperCode { get; } = zooKeeperCode;

    /// <summary>For a failed Multi: the 0-based index of the op that failed it (coordinator-failed-op).</summary>
    public int? FailedOp { get; } = failedOp;
}
