// Reads a server process's CPU time and resident memory from /proc, so a run can report what the server spent.
using System.Globalization;

namespace Coordinator.Bench;

internal static class ProcessProbe
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>User + system CPU seconds used so far by the process; 0 when it cannot be read.</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields after the command: state is [0], utime is [11], stime is [12].
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Resident set size in MiB; 0 when it cannot be read.</summary>
    public static double RssMiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { }
        return 0;
    }
}
