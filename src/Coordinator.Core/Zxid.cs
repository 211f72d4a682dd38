// The ZooKeeper transaction id: a 32-bit epoch in the high half and a 32-bit counter in the low half.
namespace Coordinator.Core;

public readonly record struct Zxid(long Value) : IComparable<Zxid>
{
    public static readonly Zxid Zero = new(0);

    public int Epoch => (int)(Value >> 32);
    public int Counter => (int)(Value & 0xffffffffL);

    public static Zxid Of(int epoch, int counter) => new(((long)epoch << 32) | (uint)counter);

    public Zxid Next() => new(Value + 1);

    public int CompareTo(Zxid other) => Value.CompareTo(other.Value);

    public override string ToString() => "0x" + Value.ToString("x");
}
