// Runs the shell (Coordinator.Shell.dll, next to the tests) once with a command, with a timeout, and separates stdout from stderr.
using System.Diagnostics;
using System.Text;

namespace Coordinator.Shell.Tests;

internal sealed record ShellResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}";
}

internal static class ShellRunner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static string ShellDll => Path.Combine(AppContext.BaseDirectory, "Coordinator.Shell.dll");

    public static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static async Task<ShellResult> RunAsync(string server, params string[] args)
    {
        var psi = new ProcessStartInfo(Dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(ShellDll);
        psi.ArgumentList.Add("-server");
        psi.ArgumentList.Add(server);
        psi.ArgumentList.Add("-timeout");
        psi.ArgumentList.Add("5000");
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"shell {string.Join(' ', args)} did not finish within {Timeout.TotalSeconds} s");
        }
        return new ShellResult(process.ExitCode, Normalize(await stdout), Normalize(await stderr));
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);
}
