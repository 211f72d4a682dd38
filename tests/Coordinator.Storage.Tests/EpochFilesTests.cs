// acceptedEpoch and currentEpoch: ZooKeeper's text format, atomic replacement, derivation when missing, refusal when malformed.
using System.Text;

namespace Coordinator.Storage.Tests;

public sealed class EpochFilesTests
{
    private const string Folder = "/mem/data/version-2";

    [Fact]
    public void EpochsRoundTripAsZooKeepersDecimalText()
    {
        var device = new MemoryDevice();
        EpochFiles.Write(device, Folder, EpochFiles.AcceptedEpochName, 12);
        EpochFiles.Write(device, Folder, EpochFiles.CurrentEpochName, 11);
        EpochFiles.Write(device, Folder, EpochFiles.AcceptedEpochName, 13); // replaces the old value

        var epochs = EpochFiles.Read(device, Folder, lastZxid: 5L << 32);
        Assert.Equal(13, epochs.AcceptedEpoch);
        Assert.Equal(11, epochs.CurrentEpoch);
        Assert.Empty(epochs.Derived);
        // ZooKeeper's QuorumPeer.writeLongToFile: the number alone, no newline; no temp file is left behind.
        Assert.Equal("13"u8.ToArray(), device.ReadAllBytes(Path.Combine(Folder, "acceptedEpoch")));
        Assert.Equal(["acceptedEpoch", "currentEpoch"], device.ListFiles(Folder));
    }

    [Fact]
    public void MissingFilesTakeTheEpochOfTheLastZxid()
    {
        var device = new MemoryDevice();
        device.CreateDirectory(Folder);
        var epochs = EpochFiles.Read(device, Folder, lastZxid: (3L << 32) | 7);
        Assert.Equal((3, 3), (epochs.AcceptedEpoch, epochs.CurrentEpoch));
        Assert.Equal(["acceptedEpoch", "currentEpoch"], epochs.Derived);

        EpochFiles.Write(device, Folder, EpochFiles.AcceptedEpochName, 4);
        epochs = EpochFiles.Read(device, Folder, lastZxid: (3L << 32) | 7);
        Assert.Equal((4, 3), (epochs.AcceptedEpoch, epochs.CurrentEpoch));
        Assert.Equal(["currentEpoch"], epochs.Derived);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData(" 5")]
    [InlineData("5x")]
    [InlineData("99999999999")]
    public void MalformedFileIsAStorageExceptionNamingIt(string content)
    {
        var device = new MemoryDevice();
        device.CreateDirectory(Folder);
        EpochFiles.Write(device, Folder, EpochFiles.AcceptedEpochName, 2);
        string path = Path.Combine(Folder, EpochFiles.CurrentEpochName);
        device.WriteAllBytes(path, Encoding.ASCII.GetBytes(content));
        var e = Assert.Throws<StorageException>(() => EpochFiles.Read(device, Folder, 0));
        Assert.Equal(path, e.File);
        Assert.Contains("currentEpoch", e.Message);
    }

    [Fact]
    public void TrailingNewlineWrittenByHandIsAccepted()
    {
        var device = new MemoryDevice();
        device.CreateDirectory(Folder);
        device.WriteAllBytes(Path.Combine(Folder, EpochFiles.CurrentEpochName), "7\n"u8.ToArray());
        Assert.Equal(7, EpochFiles.Read(device, Folder, 0).CurrentEpoch);
    }

    [Fact]
    public void LoadForReplicationReadsTheEpochsAndRefusesAMalformedOne()
    {
        using var disk = new ReplicaDisk();
        disk.Log(1, 12);
        var derived = Recovery.LoadForReplication(disk.Device, ReplicaDisk.DataDir, ReplicaDisk.DataDir).Epochs;
        Assert.Equal((0, 0), (derived.AcceptedEpoch, derived.CurrentEpoch));
        Assert.Equal(2, derived.Derived.Count);

        EpochFiles.Write(disk.Device, ReplicaDisk.Folder, EpochFiles.AcceptedEpochName, 3);
        EpochFiles.Write(disk.Device, ReplicaDisk.Folder, EpochFiles.CurrentEpochName, 2);
        var read = Recovery.LoadForReplication(disk.Device, ReplicaDisk.DataDir, ReplicaDisk.DataDir).Epochs;
        Assert.Equal((3, 2, 0), (read.AcceptedEpoch, read.CurrentEpoch, read.Derived.Count));

        disk.Device.WriteAllBytes(disk.PathOf(EpochFiles.AcceptedEpochName), "three"u8.ToArray());
        var e = Assert.Throws<StorageException>(() => Recovery.LoadForReplication(disk.Device, ReplicaDisk.DataDir, ReplicaDisk.DataDir));
        Assert.Equal(disk.PathOf(EpochFiles.AcceptedEpochName), e.File);
    }

    [Fact]
    public void PhysicalDeviceReplacesTheFileAtomically()
    {
        using var dir = new TempDir("epoch");
        string folder = Path.Combine(dir.Path, ZkFiles.VersionFolder);
        EpochFiles.Write(PhysicalDevice.Instance, folder, EpochFiles.CurrentEpochName, 1);
        EpochFiles.Write(PhysicalDevice.Instance, folder, EpochFiles.CurrentEpochName, 2);
        Assert.Equal("2", File.ReadAllText(Path.Combine(folder, "currentEpoch")));
        Assert.Equal(["currentEpoch"], Directory.GetFiles(folder).Select(Path.GetFileName));
        Assert.Equal(2, EpochFiles.Read(PhysicalDevice.Instance, folder, 0).CurrentEpoch);
    }
}
