// Number, address and date formatting shared by the four-letter word renderers, matching what the Java server prints.
using System.Globalization;

namespace Coordinator.Server;

internal static class WordFormat
{
    /// <summary>
    /// ZooKeeper rounds average latencies to four decimal places and prints them as Java prints a double,
    /// so monitoring scripts see "0.0" rather than "0" and "5.8235" rather than "5.823529".
    /// </summary>
    public static string Average(double value) => JavaDouble(Math.Round(value, 4, MidpointRounding.AwayFromZero));

    /// <summary>A double as Java's Double.toString writes it: always a fraction, scientific outside [1e-3, 1e7).</summary>
    public static string JavaDouble(double value)
    {
        if (value == 0) return "0.0";
        double magnitude = Math.Abs(value);
        if (magnitude is >= 1e-3 and < 1e7) return WithFraction(value.ToString("R", CultureInfo.InvariantCulture));
        int exponent = (int)Math.Floor(Math.Log10(magnitude));
        double mantissa = Math.Round(value / Math.Pow(10, exponent), 14);
        return WithFraction(mantissa.ToString("R", CultureInfo.InvariantCulture)) + "E" + exponent.ToString(CultureInfo.InvariantCulture);
    }

    private static string WithFraction(string number) => number.Contains('.') ? number : number + ".0";

    /// <summary>Java's Long.toHexString: two's complement, so -1 is ffffffffffffffff.</summary>
    public static string Hex(long value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A peer as Java prints an InetSocketAddress without a host name: "/ip:port", IPv6 in brackets.</summary>
    public static string Address(IClientConnection c) =>
        "/" + (c.RemoteAddress.Contains(':') ? "[" + c.RemoteAddress + "]" : c.RemoteAddress) + ":" + Number(c.RemotePort);

    /// <summary>Milliseconds since the epoch, or 0 for "never" (a default timestamp), as ZooKeeper prints an unset time.</summary>
    public static long UnixMsOrZero(DateTimeOffset at) => at <= DateTimeOffset.UnixEpoch ? 0 : at.ToUnixTimeMilliseconds();

    /// <summary>A time as java.util.Date prints it ("Sun Nov 22 04:12:21 UTC 2026"); we always print UTC.</summary>
    public static string JavaDate(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);

    /// <summary>The smallest latency seen, or 0 before the first request (the counter starts at long.MaxValue).</summary>
    public static long MinLatency(long min, long count) => count == 0 ? 0 : min;
}
