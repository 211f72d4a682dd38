// Owns the corruption tests: damaged log tails and snapshots are repaired with a warning; unreadable data stops the server.
using System.Text;
using Xunit.Abstractions;

namespace Coordinator.Durability.Tests;

public sealed class CorruptionTests(ITestOutputHelper output)
{
    private const int Creates = 60;

    public enum TailDamage
    {
        TruncatedMidRecord,
        FlippedBodyBytes,
        FlippedEndMarker,
    }

    [Theory]
    [InlineData(TailDamage.TruncatedMidRecord, false)]
    [InlineData(TailDamage.FlippedBodyBytes, false)]
    [InlineData(TailDamage.FlippedEndMarker, false)]
    [InlineData(TailDamage.TruncatedMidRecord, true)]
    public async Task Damaged_tail_of_the_last_log_is_cut_with_a_warning_and_the_rest_is_served(TailDamage damage, bool separateLogDir)
    {
        using var dir = new TempDir("tail");
        string data = dir.Combine("data");
        string logDir = separateLogDir ? dir.Combine("datalog") : data;
        string cfg = ZooCfg.Write(dir.Path, data, $"dataLogDir={logDir}");
        await ServerRuns.WriteThenKillAsync(cfg, Creates);
        if (separateLogDir) Assert.Empty(DataDirFiles.List(data, "log"));

        string log = DataDirFiles.NewestLog(logDir);
        var last = LastRecordIsCreateOfLast(log);
        switch (damage)
        {
            case TailDamage.TruncatedMidRecord:
                DataDirFiles.Truncate(log, last.Offset + 12 + last.Length / 2);
                break;
            case TailDamage.FlippedBodyBytes:
                DataDirFiles.FlipBytes(log, last.Offset + 12 + last.Length / 2, 4);
                break;
            case TailDamage.FlippedEndMarker:
                DataDirFiles.FlipBytes(log, last.End - 1, 1);
                break;
        }

        await using (var server = await ServerRuns.StartServingAsync(cfg))
        {
            string warning = RecoveryWarning(server, Path.GetFileName(log));
            output.WriteLine(warning);
            Assert.Contains($"offset {last.Offset}", warning, StringComparison.Ordinal);
            await ServerRuns.AssertTreeAsync(server.EndPoint!, Creates, lastExists: false);

            // The repaired log takes new writes, and they survive the next crash too.
            await using (var c = await RawClient.ConnectAsync(server.EndPoint!, ServerRuns.SessionTimeoutMs, ServerRuns.OpTimeout))
                Assert.Equal(0, (await c.CreateAsync("/after", []).WaitAsync(ServerRuns.OpTimeout)).Err);
            await server.KillAsync();
        }
        await using (var server = await ServerRuns.StartServingAsync(cfg))
        {
            Assert.DoesNotContain("Recovery:", server.Stdout, StringComparison.Ordinal);
            await ServerRuns.AssertTreeAsync(server.EndPoint!, Creates, lastExists: false);
            await using var c = await RawClient.ConnectAsync(server.EndPoint!, ServerRuns.SessionTimeoutMs, ServerRuns.OpTimeout);
            Assert.Equal(0, (await c.ExistsAsync("/after").WaitAsync(ServerRuns.OpTimeout)).Err);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Corrupt_newest_snapshot_falls_back_to_the_previous_one_plus_logs(bool truncate)
    {
        using var dir = new TempDir("snap");
        string data = dir.Combine("data");
        // snapCount=20 (its minimum is 2) snapshots every 10 to 20 txns, so the run leaves several.
        string cfg = ZooCfg.Write(dir.Path, data, "snapCount=20");
        await ServerRuns.WriteThenKillAsync(cfg, Creates, snapshotsIn: data, snapshots: 3);

        var snapshots = DataDirFiles.List(data, "snapshot");
        Assert.True(snapshots.Count >= 3, $"expected several snapshots, found {string.Join(", ", snapshots.Select(Path.GetFileName))}");
        string newest = snapshots[^1];
        long length = new FileInfo(newest).Length;
        if (truncate) DataDirFiles.Truncate(newest, length / 2);
        else DataDirFiles.FlipBytes(newest, length / 2, 8);

        await using var server = await ServerRuns.StartServingAsync(cfg);
        string warning = RecoveryWarning(server, Path.GetFileName(newest));
        output.WriteLine(warning);
        Assert.Contains("snapshot", warning, StringComparison.Ordinal);
        // The line that reports what was loaded names the snapshot before the damaged one.
        string recovered = server.Stdout.Split('\n').Single(l => l.Contains("Recovered from snapshot", StringComparison.Ordinal));
        output.WriteLine(recovered);
        Assert.Contains(Path.GetFileName(snapshots[^2]), recovered, StringComparison.Ordinal);
        await ServerRuns.AssertTreeAsync(server.EndPoint!, Creates, lastExists: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task With_every_snapshot_corrupt_the_whole_log_rebuilds_the_tree_or_the_server_refuses(bool oldestLogPurged)
    {
        using var dir = new TempDir("nosnap");
        string data = dir.Combine("data");
        string cfg = ZooCfg.Write(dir.Path, data, "snapCount=20");
        await ServerRuns.WriteThenKillAsync(cfg, Creates, snapshotsIn: data, snapshots: 3);
        var snapshots = DataDirFiles.List(data, "snapshot");
        foreach (string snapshot in snapshots) DataDirFiles.Truncate(snapshot, new FileInfo(snapshot).Length / 2);
        var logs = DataDirFiles.List(data, "log");
        Assert.True(logs.Count >= 2, $"expected several logs, found {logs.Count}");

        if (oldestLogPurged)
        {
            // Txns before the second log are gone with the first: there is nothing to rebuild the tree from.
            File.Delete(logs[0]);
            string line = await ServerRuns.StartRefusedAsync(cfg);
            output.WriteLine(line);
            return;
        }
        await using var server = await ServerRuns.StartServingAsync(cfg);
        foreach (string snapshot in snapshots) RecoveryWarning(server, Path.GetFileName(snapshot));
        output.WriteLine(server.Stdout.Split('\n').First(l => l.Contains("whole txn log", StringComparison.Ordinal)).Trim());
        await ServerRuns.AssertTreeAsync(server.EndPoint!, Creates, lastExists: true);
    }

    [Fact]
    public async Task Version_2_that_is_a_file_stops_the_server_with_one_clear_line()
    {
        using var dir = new TempDir("v2file");
        string data = dir.Combine("data");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "version-2"), "not a directory");
        string cfg = ZooCfg.Write(dir.Path, data);

        string line = await ServerRuns.StartRefusedAsync(cfg);
        output.WriteLine(line);
        Assert.Contains("version-2", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Swapped_dataDir_and_dataLogDir_stop_the_server()
    {
        using var dir = new TempDir("swapped");
        string data = dir.Combine("data"), logDir = dir.Combine("datalog");
        await ServerRuns.WriteThenKillAsync(ZooCfg.Write(dir.Path, data, $"dataLogDir={logDir}"), Creates);

        string line = await ServerRuns.StartRefusedAsync(ZooCfg.Write(dir.Path, logDir, $"dataLogDir={data}"));
        output.WriteLine(line);
    }

    [Fact]
    public async Task Corrupt_record_followed_by_good_records_stops_the_server()
    {
        using var dir = new TempDir("inplace");
        string data = dir.Combine("data");
        string cfg = ZooCfg.Write(dir.Path, data);
        await ServerRuns.WriteThenKillAsync(cfg, Creates);

        string log = DataDirFiles.NewestLog(data);
        var records = DataDirFiles.Records(log);
        var victim = records[records.Count - 5];
        DataDirFiles.FlipBytes(log, victim.Offset + 12 + victim.Length / 2, 4);

        string line = await ServerRuns.StartRefusedAsync(cfg);
        output.WriteLine(line);
        Assert.Contains(Path.GetFileName(log), line, StringComparison.Ordinal);
        Assert.Contains($"offset {victim.Offset}", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Corrupt_record_in_an_older_log_stops_the_server()
    {
        using var dir = new TempDir("oldlog");
        string data = dir.Combine("data");
        string cfg = ZooCfg.Write(dir.Path, data);
        await ServerRuns.WriteThenKillAsync(cfg, Creates);
        // A restart starts a new log, so the first one is no longer the newest, yet is still needed for replay.
        await using (var server = await ServerRuns.StartServingAsync(cfg))
        {
            await using (var c = await RawClient.ConnectAsync(server.EndPoint!, ServerRuns.SessionTimeoutMs, ServerRuns.OpTimeout))
                Assert.Equal(0, (await c.CreateAsync("/second-run", []).WaitAsync(ServerRuns.OpTimeout)).Err);
            await server.KillAsync();
        }
        var logs = DataDirFiles.List(data, "log");
        Assert.True(logs.Count >= 2, $"expected a second log after the restart, found {logs.Count}");
        var records = DataDirFiles.Records(logs[0]);
        var victim = records[records.Count / 2];
        DataDirFiles.FlipBytes(logs[0], victim.Offset + 12 + victim.Length / 2, 4);

        string line = await ServerRuns.StartRefusedAsync(cfg);
        output.WriteLine(line);
        Assert.Contains(Path.GetFileName(logs[0]), line, StringComparison.Ordinal);
    }

    /// <summary>The test's premise: the newest record of the newest log is the create of /last.</summary>
    private static LogRecordFrame LastRecordIsCreateOfLast(string log)
    {
        var records = DataDirFiles.Records(log);
        Assert.NotEmpty(records);
        var last = records[^1];
        byte[] bytes = File.ReadAllBytes(log).AsSpan((int)last.Offset + 12, last.Length).ToArray();
        Assert.True(bytes.AsSpan().IndexOf("/last"u8) >= 0, $"the newest record of {log} is not the create of /last: {Encoding.ASCII.GetString(bytes)}");
        return last;
    }

    /// <summary>The recovery warning that names <paramref name="fileName"/>, from the server's log.</summary>
    private static string RecoveryWarning(CoordinatorProcess server, string fileName)
    {
        var lines = server.Output.Split('\n')
            .Where(l => l.Contains("Recovery:", StringComparison.Ordinal) && l.Contains(fileName, StringComparison.Ordinal))
            .ToList();
        Assert.True(lines.Count >= 1, $"no recovery warning names {fileName}\n{server.Output}");
        Assert.Contains("warn", lines[0], StringComparison.OrdinalIgnoreCase);
        return lines[0].Trim();
    }
}
