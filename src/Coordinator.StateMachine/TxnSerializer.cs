// A txn as ZooKeeper's log stores it: TxnHeader, the record its type calls for, and the 3.6+ TxnDigest, in jute.
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.StateMachine;

/// <summary>The tree digest after the txn was applied (zookeeper.jute TxnDigest); ZooKeeper 3.6+ logs one with each txn.</summary>
public readonly record struct TxnDigest(int Version, long TreeDigest);

/// <summary>One logged transaction. <see cref="Digest"/> is null for records written without one (ZooKeeper before 3.6, error txns).</summary>
public sealed record TxnEntry(TxnHeader Header, Txn Txn, TxnDigest? Digest = null);

/// <summary>
/// Encodes and decodes the body of a txn log record. The header's type decides which record follows (create
/// and create2 share CreateTxn, delete and deleteContainer share DeleteTxn, reconfig is a SetDataTxn); a multi
/// holds each sub-txn as (type, serialized record). Anything after the record is the optional TxnDigest.
/// </summary>
public static class TxnSerializer
{
    /// <summary>clientId, cxid, zxid, time, type.</summary>
    public const int HeaderBytes = 8 + 4 + 8 + 8 + 4;

    public const int DigestBytes = 4 + 8;

    public static byte[] Serialize(TxnEntry entry)
    {
        using var w = new JuteWriter();
        Write(w, entry);
        return w.ToArray();
    }

    public static void Write(JuteWriter w, TxnEntry entry)
    {
        var h = entry.Header;
        w.WriteLong(h.ClientId);
        w.WriteInt(h.Cxid);
        w.WriteLong(h.Zxid);
        w.WriteLong(h.Time);
        w.WriteInt(h.Type);
        WriteRecord(w, h.Type, entry.Txn);
        if (entry.Digest is { } d)
        {
            w.WriteInt(d.Version);
            w.WriteLong(d.TreeDigest);
        }
    }

    /// <summary>Throws <see cref="JuteException"/> when the bytes are not a txn this version understands.</summary>
    public static TxnEntry Deserialize(ReadOnlySpan<byte> bytes)
    {
        var r = new JuteReader(bytes);
        var header = new TxnHeader(r.ReadLong(), r.ReadInt(), r.ReadLong(), r.ReadLong(), r.ReadInt());
        var txn = ReadRecord(ref r, header.Type);
        TxnDigest? digest = null;
        if (r.Remaining >= DigestBytes) digest = new TxnDigest(r.ReadInt(), r.ReadLong());
        if (r.Remaining != 0) throw new JuteException($"{r.Remaining} unexpected bytes after the {(OpCode)header.Type} txn at zxid 0x{header.Zxid:x}");
        return new TxnEntry(header, txn, digest);
    }

    private static void WriteRecord(JuteWriter w, int type, Txn txn)
    {
        switch (txn)
        {
            case CreateTxn c when type is (int)OpCode.Create or (int)OpCode.Create2:
                w.WriteString(c.Path);
                w.WriteBuffer(c.Data);
                Acl.WriteList(w, c.Acl);
                w.WriteBool(c.Ephemeral);
                w.WriteInt(c.ParentCVersion);
                break;
            case CreateContainerTxn c when type == (int)OpCode.CreateContainer:
                w.WriteString(c.Path);
                w.WriteBuffer(c.Data);
                Acl.WriteList(w, c.Acl);
                w.WriteInt(c.ParentCVersion);
                break;
            case CreateTtlTxn c when type == (int)OpCode.CreateTtl:
                w.WriteString(c.Path);
                w.WriteBuffer(c.Data);
                Acl.WriteList(w, c.Acl);
                w.WriteInt(c.ParentCVersion);
                w.WriteLong(c.Ttl);
                break;
            case DeleteTxn d when type is (int)OpCode.Delete or (int)OpCode.DeleteContainer:
                w.WriteString(d.Path);
                break;
            case SetDataTxn s when type is (int)OpCode.SetData or (int)OpCode.Reconfig:
                w.WriteString(s.Path);
                w.WriteBuffer(s.Data);
                w.WriteInt(s.Version);
                break;
            case SetAclTxn s when type == (int)OpCode.SetAcl:
                w.WriteString(s.Path);
                Acl.WriteList(w, s.Acl);
                w.WriteInt(s.Version);
                break;
            case CheckVersionTxn c when type == (int)OpCode.Check:
                w.WriteString(c.Path);
                w.WriteInt(c.Version);
                break;
            case ErrorTxn e when type == (int)OpCode.Error:
                w.WriteInt(e.Err);
                break;
            case MultiTxn m when type == (int)OpCode.Multi:
                WriteMulti(w, m);
                break;
            case CreateSessionTxn s when type == (int)OpCode.CreateSession:
                w.WriteInt(s.TimeoutMs);
                break;
            case CloseSessionTxn c when type == (int)OpCode.CloseSession:
                w.WriteStringVector(c.Paths2Delete);
                break;
            default:
                throw new ArgumentException($"a {txn.GetType().Name} cannot be logged with type {type} ({(OpCode)type})", nameof(txn));
        }
    }

    private static void WriteMulti(JuteWriter w, MultiTxn multi)
    {
        w.WriteInt(multi.Txns.Count);
        foreach (var sub in multi.Txns)
        {
            if (sub.Txn is MultiTxn) throw new ArgumentException("a multi cannot contain a multi", nameof(multi));
            w.WriteInt(sub.Type);
            // Each sub-txn travels as a length-prefixed buffer holding its own record.
            int at = w.ReserveLength();
            WriteRecord(w, sub.Type, sub.Txn);
            w.PatchLength(at);
        }
    }

    private static Txn ReadRecord(ref JuteReader r, int type)
    {
        switch ((OpCode)type)
        {
            case OpCode.Create or OpCode.Create2:
                return new CreateTxn(r.ReadRequiredString(), r.ReadBuffer(), Acl.ReadList(ref r), r.ReadBool(), r.ReadInt());
            case OpCode.CreateContainer:
                return new CreateContainerTxn(r.ReadRequiredString(), r.ReadBuffer(), Acl.ReadList(ref r), r.ReadInt());
            case OpCode.CreateTtl:
                return new CreateTtlTxn(r.ReadRequiredString(), r.ReadBuffer(), Acl.ReadList(ref r), r.ReadInt(), r.ReadLong());
            case OpCode.Delete or OpCode.DeleteContainer:
                return new DeleteTxn(r.ReadRequiredString());
            case OpCode.SetData or OpCode.Reconfig:
                return new SetDataTxn(r.ReadRequiredString(), r.ReadBuffer(), r.ReadInt());
            case OpCode.SetAcl:
                return new SetAclTxn(r.ReadRequiredString(), Acl.ReadList(ref r), r.ReadInt());
            case OpCode.Check:
                return new CheckVersionTxn(r.ReadRequiredString(), r.ReadInt());
            case OpCode.Error:
                return new ErrorTxn(r.ReadInt());
            case OpCode.Multi:
                return ReadMulti(ref r);
            case OpCode.CreateSession:
                return new CreateSessionTxn(r.ReadInt());
            case OpCode.CloseSession:
                // ZooKeeper with zookeeper.closeSessionTxn.enabled=false logs closeSession with no body.
                return new CloseSessionTxn(r.Remaining == 0 ? [] : r.ReadStringVector());
            default:
                throw new JuteException($"txn type {type} is not one ZooKeeper logs");
        }
    }

    private static MultiTxn ReadMulti(ref JuteReader r)
    {
        int count = r.ReadVectorCount(8);
        var subs = new List<SubTxn>(count);
        for (int i = 0; i < count; i++)
        {
            int type = r.ReadInt();
            if (type == (int)OpCode.Multi) throw new JuteException("a multi cannot contain a multi");
            byte[] data = r.ReadBuffer() ?? throw new JuteException($"sub-txn {i} of a multi has no data");
            var sub = new JuteReader(data);
            var txn = ReadRecord(ref sub, type);
            if (sub.Remaining != 0) throw new JuteException($"{sub.Remaining} unexpected bytes after sub-txn {i} ({(OpCode)type}) of a multi");
            subs.Add(new SubTxn(type, txn));
        }
        return new MultiTxn(subs);
    }
}
