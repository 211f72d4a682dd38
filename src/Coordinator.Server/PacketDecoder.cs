// Decodes one framed client packet (after the handshake) into a command for the server loop; malformed bytes throw JuteException.
using Coordinator.Jute;
using Coordinator.Jute.Records;

namespace Coordinator.Server;

public static class PacketDecoder
{
    internal static Command Decode(IClientConnection connection, ReadOnlySpan<byte> packet)
    {
        var reader = new JuteReader(packet);
        var header = RequestHeader.Read(ref reader);
        var op = (OpCode)header.Type;
        Command command = op switch
        {
            OpCode.Auth => new AuthCommand(connection, AuthPacket.Read(ref reader)),
            OpCode.SetWatches => new SetWatchesCommand(connection, SetWatches.Read(ref reader, version2: false)),
            OpCode.SetWatches2 => new SetWatchesCommand(connection, SetWatches.Read(ref reader, version2: true)),
            _ => new RequestCommand(connection, header, RequestDecoder.TryDecode(op, ref reader), System.Diagnostics.Stopwatch.GetTimestamp()),
        };
        return command;
    }

    public static ConnectRequest DecodeConnect(ReadOnlySpan<byte> packet)
    {
        var reader = new JuteReader(packet);
        return ConnectRequest.Read(ref reader);
    }
}
