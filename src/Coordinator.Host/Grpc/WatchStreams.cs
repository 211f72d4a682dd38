// The Watch RPC: a server stream of committed changes, resumable from a past zxid, bounded per stream.
using Coordinator.Core;
using Coordinator.Protos.V1;
using Coordinator.Server;
using Coordinator.Server.Changes;
using Coordinator.StateMachine;
using Microsoft.AspNetCore.Http;

namespace Coordinator.Host.Grpc;

internal sealed class WatchStreams(ServerNode server, GrpcSessions sessions)
{
    /// <summary>
    /// Registers on the loop (backlog and live changes meet at one zxid), writes the started marker and the
    /// backlog, then live changes until the client leaves, the session ends or the stream's buffer overflows.
    /// </summary>
    public async Task RunAsync(WatchRequest request, HttpContext context, CancellationToken ct)
    {
        if (PathValidation.Validate(request.Path) is { } problem)
            throw new GrpcException(GrpcCode.InvalidArgument, $"path '{request.Path}' is not valid: {problem}", ErrorCode.BadArguments);
        var session = sessions.Get(request.SessionId);
        var subscription = new ChangeSubscription(session.SessionId, request.Path, request.Recursive, server.Settings.GrpcWatchBuffer);
        long? start = request.HasStartZxid ? request.StartZxid : null;
        SubscribeResult result;
        try
        {
            result = await server.QueryAsync(node => node.Changes.Subscribe(subscription, start, node.LastZxid), ct);
        }
        catch (OperationCanceledException)
        {
            // The loop may have registered it before the wait was cancelled; ended, it is pruned.
            subscription.End();
            throw;
        }
        switch (result.Outcome)
        {
            case SubscribeOutcome.OutOfRange when start > result.LastZxid:
                throw new GrpcException(GrpcCode.OutOfRange,
                    $"start_zxid 0x{start:x} is ahead of this server's last zxid 0x{result.LastZxid:x}");
            case SubscribeOutcome.OutOfRange:
                throw new GrpcException(GrpcCode.OutOfRange,
                    $"start_zxid 0x{start:x} is older than the watch window (changes after 0x{result.FloorZxid:x} are held): re-read, then watch from the zxid of that read");
            case SubscribeOutcome.TooMany:
                throw new GrpcException(GrpcCode.ResourceExhausted, $"this server already serves {ChangeWindow.SubscriptionsMax} watch streams");
        }
        session.Track(subscription);
        try
        {
            await GrpcFraming.WriteAsync(context.Response, new WatchResponse
            {
                Started = new WatchStarted { Zxid = result.LastZxid, OldestZxid = result.FloorZxid },
            }, ct);
            foreach (var change in result.Backlog) await GrpcFraming.WriteAsync(context.Response, ToProto(change), ct);
            while (await subscription.Reader.WaitToReadAsync(ct))
            {
                while (subscription.Reader.TryRead(out var change)) await GrpcFraming.WriteAsync(context.Response, ToProto(change), ct);
            }
            if (subscription.Overflowed)
                throw new GrpcException(GrpcCode.ResourceExhausted,
                    $"the watcher fell more than grpc.watchBuffer={server.Settings.GrpcWatchBuffer} changes behind; resume from the last zxid received");
            if (session.IsClosed) throw session.Closed();
        }
        finally
        {
            subscription.End();
            session.Untrack(subscription);
        }
    }

    private static WatchResponse ToProto(NodeChange change) => new()
    {
        Event = new WatchEvent { Zxid = change.Zxid, Type = (Protos.V1.EventType)(int)change.Type, Path = change.Path },
    };
}
