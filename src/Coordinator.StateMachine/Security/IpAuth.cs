// The ip scheme: an ACL id is an address or an address/prefix-bits range that the client's address must fall in.
using System.Net;

namespace Coordinator.StateMachine.Security;

public static class IpAuth
{
    public const string Scheme = "ip";

    public static bool IsValidId(string aclExpr) => TryParse(aclExpr, out _, out _);

    public static bool Matches(string clientAddress, string aclExpr)
    {
        if (!TryParse(aclExpr, out var network, out int bits)) return false;
        if (!IPAddress.TryParse(clientAddress, out var client)) return false;
        if (client.IsIPv4MappedToIPv6) client = client.MapToIPv4();
        byte[] a = client.GetAddressBytes(), b = network.GetAddressBytes();
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length && bits > 0; i++, bits -= 8)
        {
            int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
            if ((a[i] & mask) != (b[i] & mask)) return false;
        }
        return true;
    }

    private static bool TryParse(string expr, out IPAddress address, out int bits)
    {
        address = IPAddress.None;
        bits = 0;
        string[] parts = expr.Split('/');
        // ZooKeeper 3.8 accepts only dotted-quad IPv4 (it refuses "::1" and .NET's shorthand "1.2.3").
        bool wellFormed = parts[0].Split('.').Length == 4;
        if (parts.Length > 2 || !wellFormed || !IPAddress.TryParse(parts[0], out var parsed)) return false;
        address = parsed;
        int max = parsed.GetAddressBytes().Length * 8;
        bits = max;
        return parts.Length == 1 || (int.TryParse(parts[1], out bits) && bits >= 0 && bits <= max);
    }
}
