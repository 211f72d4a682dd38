// Interchange after ZAB's TRUNC: Apache ZooKeeper's own log tool reads a log we cut, to its clean end.
namespace Coordinator.Storage.Tests;

public sealed class ReplicaInterchangeTests
{
    [Fact]
    public async Task ZooKeeperReadsALogCutByTruncation()
    {
        using var temp = new TempDir("trunc-zk");
        var script = TxnScript.Everything();
        RecoveryTests.Persist(PhysicalDevice.Instance, temp.Path, script, 10); // log.1 (1..10), log.b (11..end)
        LogTruncation.After(PhysicalDevice.Instance, temp.Path, temp.Path, 20);

        string cut = Path.Combine(temp.Path, ZkFiles.VersionFolder, "log.b");
        var outcome = await ApacheZooKeeper.RunToolAsync("org.apache.zookeeper.server.persistence.TxnLogToolkit", cut);
        Assert.True(outcome.ExitCode == 0 && !outcome.Output.Contains("CRC ERROR", StringComparison.Ordinal), outcome.Describe("TxnLogToolkit"));
        Assert.Contains("EOF reached after 10 txns.", outcome.Output);
    }
}
