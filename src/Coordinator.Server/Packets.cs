// Frames outgoing packets: a 4-byte big-endian length, then the reply header (or connect response) and the body.
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Server;

public static class Packets
{
    [ThreadStatic] private static JuteWriter? _writer;

    private static JuteWriter Writer()
    {
        var w = _writer ??= new JuteWriter(4096);
        w.Reset();
        return w;
    }

    public static byte[] Reply(ReplyHeader header, IRecord? body)
    {
        var w = Writer();
        int at = w.ReserveLength();
        header.Write(w);
        body?.Write(w);
        w.PatchLength(at);
        return w.ToArray();
    }

    public static byte[] Record(IRecord record)
    {
        var w = Writer();
        int at = w.ReserveLength();
        record.Write(w);
        w.PatchLength(at);
        return w.ToArray();
    }
}
