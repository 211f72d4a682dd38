// The data records of zookeeper.jute: Id, ACL and Stat.
namespace Coordinator.Jute.Records;

public readonly record struct Id(string Scheme, string Ident)
{
    public static readonly Id AnyoneIdUnsafe = new("world", "anyone");

    public static Id Read(ref JuteReader r) => new(r.ReadRequiredString(), r.ReadRequiredString());

    public void Write(JuteWriter w)
    {
        w.WriteString(Scheme);
        w.WriteString(Ident);
    }

    public override string ToString() => Scheme + ":" + Ident;
}

public readonly record struct Acl(int Perms, Id Id)
{
    public static readonly IReadOnlyList<Acl> OpenAclUnsafe = [new(31, Id.AnyoneIdUnsafe)];

    public static Acl Read(ref JuteReader r)
    {
        int perms = r.ReadInt();
        return new Acl(perms, Id.Read(ref r));
    }

    public void Write(JuteWriter w)
    {
        w.WriteInt(Perms);
        Id.Write(w);
    }

    public static List<Acl> ReadList(ref JuteReader r)
    {
        int count = r.ReadVectorCount(12);
        var list = new List<Acl>(count);
        for (int i = 0; i < count; i++) list.Add(Read(ref r));
        return list;
    }

    public static void WriteList(JuteWriter w, IReadOnlyList<Acl>? acl)
    {
        if (acl is null) { w.WriteInt(-1); return; }
        w.WriteInt(acl.Count);
        foreach (var a in acl) a.Write(w);
    }
}

/// <summary>A znode's metadata exactly as the client protocol carries it.</summary>
public readonly record struct Stat(
    long Czxid, long Mzxid, long Ctime, long Mtime, int Version, int Cversion, int Aversion,
    long EphemeralOwner, int DataLength, int NumChildren, long Pzxid)
{
    public const int Bytes = 68;

    public static Stat Read(ref JuteReader r) => new(
        r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadInt(), r.ReadInt(), r.ReadInt(),
        r.ReadLong(), r.ReadInt(), r.ReadInt(), r.ReadLong());

    public void Write(JuteWriter w)
    {
        w.WriteLong(Czxid);
        w.WriteLong(Mzxid);
        w.WriteLong(Ctime);
        w.WriteLong(Mtime);
        w.WriteInt(Version);
        w.WriteInt(Cversion);
        w.WriteInt(Aversion);
        w.WriteLong(EphemeralOwner);
        w.WriteInt(DataLength);
        w.WriteInt(NumChildren);
        w.WriteLong(Pzxid);
    }
}
