// A real "No space left on device" from the kernel: the next log file is /dev/full, which fails every write.
using System.Net.Http;
using Coordinator.Core;
using Coordinator.Storage;
using Xunit.Abstractions;

namespace Coordinator.Host.Tests;

public sealed class DiskFullTests(ITestOutputHelper output)
{
    [Fact]
    public async Task When_the_disk_fills_writes_fail_clearly_and_reads_go_on_with_every_acknowledged_write()
    {
        Assert.True(File.Exists("/dev/full"), "this test needs Linux's /dev/full");
        var acknowledged = new List<string>();
        await using (var host = await TestHost.StartAsync(output, s => s with { SnapCount = 10, AdminEnableServer = true }))
        {
            string dataDir = host.DataDir;
            // The first log file (log.1) is a normal file; whichever file the log rolls to after the first snapshot
            // is /dev/full, so the disk "fills" after a handful of writes.
            string logs = Path.Combine(dataDir, ZkFiles.VersionFolder);
            for (int zxid = 2; zxid < 400; zxid++) File.CreateSymbolicLink(Path.Combine(logs, ZkFiles.LogName(zxid)), "/dev/full");

            await using var reader = await TestClient.ConnectAsync(host.EndPoint);
            await reader.CreateAsync("/before", "x"u8.ToArray());
            await using var writer = await TestClient.ConnectAsync(host.EndPoint);
            int refusedErr = 0;
            for (int i = 0; i < 300 && refusedErr == 0; i++)
            {
                string path = "/w" + i;
                WireReply reply;
                try { reply = await writer.CreateAsync(path, "v"u8.ToArray()); }
                catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException) { break; }
                if (reply.Err == 0) acknowledged.Add(path);
                else refusedErr = reply.Err;
            }
            Assert.True(acknowledged.Count > 0, "no write succeeded before the disk filled");
            Assert.True(acknowledged.Count < 300, "the disk never filled");

            // The client that had a write in flight was disconnected or refused; a client without one still reads
            // and gets NotReadOnly for writes.
            var read = await reader.GetDataAsync("/before");
            Assert.Equal(0, read.Err);
            var refused = await reader.CreateAsync("/after", []);
            Assert.Equal((int)ErrorCode.NotReadOnly, refused.Err);
            foreach (string path in acknowledged) Assert.Equal(0, (await reader.GetDataAsync(path)).Err);

            using var http = new HttpClient();
            var ready = await http.GetAsync($"http://{host.Host.AdminEndPoint}/health/ready");
            Assert.Equal(503, (int)ready.StatusCode);
            Assert.Contains("transaction log failed", await ready.Content.ReadAsStringAsync());
        }
    }
}
