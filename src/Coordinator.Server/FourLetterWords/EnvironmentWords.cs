// envi, conf and dirs: process, runtime and configuration facts that need nothing from the server loop.
//
// Formats (every line ends in "\n"):
//   envi  "Environment:" then "key=value" lines under the names ZooKeeper's Java server uses (zookeeper.version,
//         host.name, java.*, os.*, user.*, os.memory.free/max/total in whole MB), filled with the .NET runtime's
//         equivalents, then dotnet.* lines for facts Java has no key for. No environment variables are printed.
//   conf  "key=value" per setting, rendered by ServerSettings.ToConfText with the storage directory sizes.
//   dirs  "datadir_size: <bytes>" and "logdir_size: <bytes>".
using System.Reflection;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Coordinator.Server.Configuration;

namespace Coordinator.Server;

internal static class EnvironmentWords
{
    private const long Megabyte = 1024 * 1024;

    public static string Conf(ServerSettings settings) =>
        settings.ToConfText(ProcessFacts.StorageBytes(settings.DataDir), ProcessFacts.StorageBytes(settings.DataLogDir));

    public static string Dirs(ServerSettings settings) =>
        $"datadir_size: {WordFormat.Number(ProcessFacts.StorageBytes(settings.DataDir))}\n" +
        $"logdir_size: {WordFormat.Number(ProcessFacts.StorageBytes(settings.DataLogDir))}\n";

    public static string Envi(string version)
    {
        var text = new StringBuilder("Environment:\n");
        foreach (var (key, value) in Facts(version)) text.Append(key).Append('=').Append(value).Append('\n');
        return text.ToString();
    }

    private static IEnumerable<(string Key, string Value)> Facts(string version)
    {
        var gc = GC.GetGCMemoryInfo();
        long used = GC.GetTotalMemory(forceFullCollection: false);
        // The GC reports committed memory as of its last collection (0 before the first); never below what is in use.
        long committed = Math.Max(gc.TotalCommittedBytes, used);
        yield return ("zookeeper.version", version);
        yield return ("host.name", Environment.MachineName);
        yield return ("java.version", Environment.Version.ToString());
        yield return ("java.vendor", typeof(object).Assembly.GetCustomAttribute<AssemblyCompanyAttribute>()?.Company ?? "<NA>");
        yield return ("java.home", TrimSeparator(RuntimeEnvironment.GetRuntimeDirectory()));
        yield return ("java.class.path", TrimSeparator(AppContext.BaseDirectory));
        yield return ("java.library.path", SearchPath(AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string));
        yield return ("java.io.tmpdir", TrimSeparator(Path.GetTempPath()));
        yield return ("java.compiler", RuntimeFeature.IsDynamicCodeCompiled ? "RyuJIT" : "<NA>");
        yield return ("os.name", OsName());
        yield return ("os.arch", OsArch(RuntimeInformation.OSArchitecture));
        yield return ("os.version", OsVersion());
        yield return ("user.name", Environment.UserName);
        yield return ("user.home", Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        yield return ("user.dir", Environment.CurrentDirectory);
        // Java reports its heap: free and total committed, and the most it may grow to.
        yield return ("os.memory.free", Mb(Math.Max(0, committed - used)));
        yield return ("os.memory.max", Mb(gc.TotalAvailableMemoryBytes));
        yield return ("os.memory.total", Mb(committed));
        yield return ("dotnet.version", Environment.Version.ToString());
        yield return ("dotnet.framework", RuntimeInformation.FrameworkDescription);
        yield return ("dotnet.runtime.identifier", RuntimeInformation.RuntimeIdentifier);
        yield return ("dotnet.gc.server", GCSettings.IsServerGC ? "true" : "false");
        yield return ("dotnet.processor.count", WordFormat.Number(Environment.ProcessorCount));
        yield return ("process.id", WordFormat.Number(Environment.ProcessId));
    }

    private static string Mb(long bytes) => WordFormat.Number(bytes / Megabyte) + "MB";

    /// <summary>The runtime's native library directories as a Java-style path list: no empty entries, no trailing slashes.</summary>
    private static string SearchPath(string? directories) => string.Join(Path.PathSeparator,
        (directories ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(TrimSeparator));

    private static string TrimSeparator(string path) =>
        path.Length > 1 ? path.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) : path;

    /// <summary>The names Java gives the common platforms.</summary>
    private static string OsName()
    {
        if (OperatingSystem.IsLinux()) return "Linux";
        if (OperatingSystem.IsMacOS()) return "Mac OS X";
        if (OperatingSystem.IsWindows()) return "Windows";
        if (OperatingSystem.IsFreeBSD()) return "FreeBSD";
        return RuntimeInformation.OSDescription;
    }

    /// <summary>Java's os.arch spellings: amd64 and aarch64 rather than x64 and arm64.</summary>
    private static string OsArch(Architecture arch) => arch switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "aarch64",
        Architecture.X86 => "x86",
        Architecture.Arm => "arm",
        _ => arch.ToString().ToLowerInvariant(),
    };

    /// <summary>Java prints the kernel release on Linux (uname -r); .NET's OSVersion drops its suffix, so read it.</summary>
    private static string OsVersion()
    {
        if (OperatingSystem.IsLinux())
        {
            try { return File.ReadAllText("/proc/sys/kernel/osrelease").Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return Environment.OSVersion.Version.ToString();
    }
}
