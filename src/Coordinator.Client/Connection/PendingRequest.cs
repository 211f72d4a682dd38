// One outgoing packet and, for requests, the caller's completion: decoded on the receive loop, awaited by the caller.
using Coordinator.Client.Operations;
using Coordinator.Client.Watches;
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Client.Connection;

/// <summary>How the connection treats a packet: requests get the next xid and a reply slot; the rest use reserved xids.</summary>
internal enum PacketKind
{
    Request,
    Ping,
    Auth,
    SetWatches,
}

/// <summary>Turns a reply body into the caller's result, or throws the <see cref="KeeperException"/> for its code.</summary>
internal delegate T ResponseDecoder<T>(ErrorCode err, ref JuteReader reader, PendingRequest request);

internal abstract class PendingRequest
{
    private JuteWriter? _frame;

    protected PendingRequest(PacketKind kind, OpCode op, string? clientPath, Chroot chroot, JuteWriter frame)
    {
        Kind = kind;
        Op = op;
        ClientPath = clientPath;
        Chroot = chroot;
        _frame = frame;
    }

    public PacketKind Kind { get; }

    public OpCode Op { get; }

    /// <summary>The path as the caller wrote it, so errors name what the caller knows.</summary>
    public string? ClientPath { get; }

    public Chroot Chroot { get; }

    /// <summary>The watch to record once the reply says the server set it.</summary>
    public WatchRegistration? Watch { get; init; }

    /// <summary>For auth packets: the credentials, forgotten if the server rejects them.</summary>
    public AuthEntry? Auth { get; init; }

    /// <summary>For multi and multiRead: each op's client path, so every result and error can name its path.</summary>
    public IReadOnlyList<string>? OpPaths { get; init; }

    /// <summary>Assigned by the send loop as the packet goes out.</summary>
    public int Xid { get; set; }

    /// <summary>The encoded packet; owned by whoever holds the request until it is written or failed, then released.</summary>
    public JuteWriter? Frame => _frame;

    public abstract bool IsCompleted { get; }

    public void ReleaseFrame()
    {
        _frame?.Dispose();
        _frame = null;
    }

    public abstract void Complete(in ReplyHeader header, ReadOnlySpan<byte> body);

    public abstract void Fail(Exception error);

    /// <summary>A frame with the length prefix, a zero xid for the send loop to fill in, the opcode and the body.</summary>
    public static JuteWriter BuildFrame(OpCode op, IRecord? body)
    {
        var writer = new JuteWriter(SizeHint(body));
        int at = writer.ReserveLength();
        writer.WriteInt(0);
        writer.WriteInt((int)op);
        body?.Write(writer);
        writer.PatchLength(at);
        return writer;
    }

    /// <summary>Rents a buffer big enough at once for payload-carrying requests, instead of doubling up to it.</summary>
    private static int SizeHint(IRecord? body) => body switch
    {
        CreateRequest c => 256 + (c.Data?.Length ?? 0) + (c.PathValue.Length * 3),
        SetDataRequest d => 256 + (d.Data?.Length ?? 0) + (d.PathValue.Length * 3),
        MultiRequest m => 256 + m.Ops.Sum(o => o switch { CreateRequest c => c.Data?.Length ?? 0, SetDataRequest d => d.Data?.Length ?? 0, _ => 0 } + 128),
        _ => 256,
    };
}

/// <summary>A packet nobody awaits (pings, setWatches): its reply, if any, is only checked for errors.</summary>
internal sealed class ControlPacket(PacketKind kind, OpCode op, JuteWriter frame, Chroot chroot)
    : PendingRequest(kind, op, null, chroot, frame)
{
    public override bool IsCompleted => false;

    public override void Complete(in ReplyHeader header, ReadOnlySpan<byte> body) { }

    public override void Fail(Exception error) { }
}

internal sealed class PendingRequest<T> : PendingRequest
{
    // Continuations run off the receive loop, so a slow caller never stalls replies for everyone else.
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ResponseDecoder<T> _decode;
    private CancellationTokenRegistration _cancellation;

    public PendingRequest(PacketKind kind, OpCode op, string? clientPath, Chroot chroot, JuteWriter frame, ResponseDecoder<T> decode)
        : base(kind, op, clientPath, chroot, frame)
    {
        _decode = decode;
    }

    public Task<T> Task => _completion.Task;

    public override bool IsCompleted => _completion.Task.IsCompleted;

    /// <summary>Cancelling abandons the wait; a request already sent may still be applied by the server.</summary>
    public void CancelWith(CancellationToken token)
    {
        if (token.CanBeCanceled)
            _cancellation = token.UnsafeRegister(static (state, t) => ((PendingRequest<T>)state!)._completion.TrySetCanceled(t), this);
    }

    public override void Complete(in ReplyHeader header, ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new JuteReader(body);
            _completion.TrySetResult(_decode((ErrorCode)header.Err, ref reader, this));
        }
        catch (KeeperException e)
        {
            _completion.TrySetException(e);
        }
        catch (JuteException e)
        {
            _completion.TrySetException(KeeperException.Create(ErrorCode.MarshallingError, ClientPath, e.Message));
        }
        _cancellation.Dispose();
    }

    public override void Fail(Exception error)
    {
        _completion.TrySetException(error);
        _cancellation.Dispose();
    }
}
