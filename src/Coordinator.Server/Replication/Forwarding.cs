// What followers and observers send their leader besides ZAB: the client work only a leader may turn into txns.
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Server.Replication;

/// <summary>
/// Messages between a learner and its leader that carry client work, on the same links as ZAB's own messages.
/// Their frames start with a tag of 100 or more, ZAB's with less, so one receive path tells them apart.
/// </summary>
internal abstract record ForwardMessage;

/// <summary>
/// Learner → leader: a client's write, createSession (body: the timeout), closeSession or sync, with the
/// client's authenticated ids (the leader checks ACLs against them). The txn it becomes, when it does, comes
/// back to the learner through ZAB with this session id and cxid in its header; an error comes back as a reply.
/// </summary>
internal sealed record ForwardedRequest(long SessionId, int Cxid, int Type, IReadOnlyList<Id> Auth, byte[] Body) : ForwardMessage;

/// <summary>
/// Leader → learner: the forwarded request ended without a txn. <see cref="Err"/> is its error; for a sync it is
/// 0 and <see cref="Zxid"/> is the leader's last proposed zxid, which the learner applies before answering.
/// </summary>
internal sealed record ForwardedReply(long SessionId, int Cxid, int Err, long Zxid) : ForwardMessage;

/// <summary>Learner → leader: sessions connected to the learner that were active since its last report.</summary>
internal sealed record SessionTouches(IReadOnlyList<long> SessionIds) : ForwardMessage;

internal static class ForwardCodec
{
    private const byte RequestTag = 100, ReplyTag = 101, TouchesTag = 102;

    /// <summary>Whether a frame holds a forwarding message (otherwise it is ZAB's).</summary>
    public static bool IsForwarding(ReadOnlySpan<byte> frame) => frame.Length > 0 && frame[0] >= RequestTag;

    public static byte[] Encode(ForwardMessage message)
    {
        using var w = new JuteWriter(64);
        switch (message)
        {
            case ForwardedRequest r:
                w.WriteByte(RequestTag);
                w.WriteLong(r.SessionId);
                w.WriteInt(r.Cxid);
                w.WriteInt(r.Type);
                w.WriteInt(r.Auth.Count);
                foreach (var id in r.Auth)
                {
                    w.WriteString(id.Scheme);
                    w.WriteString(id.Ident);
                }
                w.WriteBuffer(r.Body);
                break;
            case ForwardedReply r:
                w.WriteByte(ReplyTag);
                w.WriteLong(r.SessionId);
                w.WriteInt(r.Cxid);
                w.WriteInt(r.Err);
                w.WriteLong(r.Zxid);
                break;
            case SessionTouches t:
                w.WriteByte(TouchesTag);
                w.WriteInt(t.SessionIds.Count);
                foreach (var id in t.SessionIds) w.WriteLong(id);
                break;
            default:
                throw new ArgumentException($"no encoding for {message.GetType().Name}");
        }
        return w.ToArray();
    }

    /// <summary>Throws <see cref="JuteException"/> when the frame is not a forwarding message.</summary>
    public static ForwardMessage Decode(ReadOnlySpan<byte> frame)
    {
        var r = new JuteReader(frame);
        ForwardMessage message = r.ReadByte() switch
        {
            RequestTag => new ForwardedRequest(r.ReadLong(), r.ReadInt(), r.ReadInt(), ReadIds(ref r), r.ReadBuffer() ?? []),
            ReplyTag => new ForwardedReply(r.ReadLong(), r.ReadInt(), r.ReadInt(), r.ReadLong()),
            TouchesTag => new SessionTouches(ReadLongs(ref r)),
            var tag => throw new JuteException($"unknown forwarding message tag {tag}"),
        };
        if (r.Remaining != 0) throw new JuteException($"{r.Remaining} unexpected bytes after a {message.GetType().Name}");
        return message;
    }

    private static List<Id> ReadIds(ref JuteReader r)
    {
        int count = r.ReadVectorCount(minElementBytes: 8);
        var ids = new List<Id>(count);
        for (int i = 0; i < count; i++) ids.Add(new Id(r.ReadRequiredString(), r.ReadRequiredString()));
        return ids;
    }

    private static List<long> ReadLongs(ref JuteReader r)
    {
        int count = r.ReadVectorCount(minElementBytes: 8);
        var ids = new List<long>(count);
        for (int i = 0; i < count; i++) ids.Add(r.ReadLong());
        return ids;
    }
}
