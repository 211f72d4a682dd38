// Comparison operators for Core's Zxid, which ZAB compares everywhere (a C# 14 extension, so Core stays as it is).
using Coordinator.Core;

namespace Coordinator.Consensus;

public static class ZxidOrder
{
    extension(Zxid)
    {
        public static bool operator <(Zxid a, Zxid b) => a.Value < b.Value;
        public static bool operator >(Zxid a, Zxid b) => a.Value > b.Value;
        public static bool operator <=(Zxid a, Zxid b) => a.Value <= b.Value;
        public static bool operator >=(Zxid a, Zxid b) => a.Value >= b.Value;
    }
}
