// The standard process_* metrics every Prometheus client library exports (ZooKeeper's JVM exports them too), read from .NET.
//
// Names are the Prometheus client conventions, so process panels of existing dashboards keep working:
//   process_cpu_seconds_total (counter), process_start_time_seconds, process_open_fds, process_max_fds,
//   process_resident_memory_bytes, process_virtual_memory_bytes (gauges).
// The JVM's own figures (jvm_memory_bytes_used, jvm_gc_collection_seconds, ...) have .NET counterparts in the
// runtime's "System.Runtime" meter (dotnet_gc_collections_total, dotnet_process_memory_working_set_bytes, ...),
// which the Host exports next to these.
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Coordinator.Server.Metrics;

internal static class ProcessGauges
{
    private static readonly double StartTimeSeconds = ReadStartTimeSeconds();

    public static void Register(Meter meter)
    {
        meter.CreateObservableCounter("process_cpu_seconds_total", CpuSeconds, "s", "Total user and system CPU time spent in seconds.");
        meter.CreateObservableGauge("process_start_time_seconds", () => StartTimeSeconds, "s", "Start time of the process since unix epoch in seconds.");
        meter.CreateObservableGauge("process_open_fds", OpenFds, null, "Number of open file descriptors.");
        meter.CreateObservableGauge("process_max_fds", MaxFds, null, "Maximum number of open file descriptors.");
        meter.CreateObservableGauge("process_resident_memory_bytes", () => (double)Environment.WorkingSet, "By", "Resident memory size in bytes.");
        meter.CreateObservableGauge("process_virtual_memory_bytes", VirtualBytes, "By", "Virtual memory size in bytes.");
    }

    private static double CpuSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static double VirtualBytes()
    {
        using var process = Process.GetCurrentProcess();
        return process.VirtualMemorySize64;
    }

    private static IEnumerable<Measurement<double>> OpenFds()
    {
        if (ProcessFacts.Read().OpenFileDescriptors is { } open) yield return new Measurement<double>(open);
    }

    private static IEnumerable<Measurement<double>> MaxFds()
    {
        if (ProcessFacts.Read().MaxFileDescriptors is { } max) yield return new Measurement<double>(max);
    }

    private static double ReadStartTimeSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
    }
}
