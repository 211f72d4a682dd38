// The simulated state machine: a count and a running digest of every txn applied, so order differences show.
using System.Buffers.Binary;
using Coordinator.Consensus;
using Coordinator.Core;

namespace Coordinator.Consensus.Tests.Simulation;

public sealed class SimState
{
    public long Count { get; private set; }
    public ulong Digest { get; private set; }
    public Zxid Zxid { get; private set; }

    public void Apply(LoggedTxn txn)
    {
        if (txn.Zxid <= Zxid) throw new SimulationFailure($"applied {txn.Zxid} after {Zxid}: not in zxid order");
        Count++;
        Zxid = txn.Zxid;
        Digest = Mix(Digest, (ulong)txn.Zxid.Value, PayloadHash(txn.Payload));
    }

    public static ulong PayloadHash(byte[] payload)
    {
        ulong h = 14695981039346656037UL;
        foreach (var b in payload) h = (h ^ b) * 1099511628211UL;
        return h;
    }

    private static ulong Mix(ulong digest, ulong zxid, ulong payload)
    {
        ulong h = digest ^ (zxid * 0x9E3779B97F4A7C15UL) ^ (payload + 0x632BE59BD9B4E019UL);
        h ^= h >> 31; h *= 0xBF58476D1CE4E5B9UL; h ^= h >> 27;
        return h;
    }

    public byte[] Serialize()
    {
        var bytes = new byte[24];
        BinaryPrimitives.WriteInt64BigEndian(bytes, Count);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), Digest);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(16), Zxid.Value);
        return bytes;
    }

    public static SimState Deserialize(byte[] bytes) => new()
    {
        Count = BinaryPrimitives.ReadInt64BigEndian(bytes),
        Digest = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(8)),
        Zxid = new Zxid(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(16))),
    };

    public SimState Copy() => Deserialize(Serialize());
}

/// <summary>A broken invariant or a stuck ensemble; the message names what and where.</summary>
public sealed class SimulationFailure(string message) : Exception(message);
