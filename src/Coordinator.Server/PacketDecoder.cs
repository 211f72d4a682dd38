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
            _ => DecodeRequest(connection, header, op, ref reader),
        };
        return command;
    }

    /// <summary>
    /// A known opcode whose body does not decode is answered with MarshallingError and the connection stays, as
    /// in ZooKeeper; only a packet too short for its header closes the connection (the caller's JuteException).
    /// </summary>
    private static RequestCommand DecodeRequest(IClientConnection connection, RequestHeader header, OpCode op, ref JuteReader reader)
    {
        Request? request;
        try
        {
            request = RequestDecoder.TryDecode(op, ref reader);
        }
        catch (JuteException e)
        {
            request = new UndecodableRequest(op, e.Message);
        }
        return new RequestCommand(connection, header, request, System.Diagnostics.Stopwatch.GetTimestamp());
    }

    public static ConnectRequest DecodeConnect(ReadOnlySpan<byte> packet)
    {
        var reader = new JuteReader(packet);
        return ConnectRequest.Read(ref reader);
    }
}
