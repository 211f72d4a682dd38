// TreeDigest: its CRC-32 against a bitwise reference and the standard check value; the parallel whole-tree sum against node by node.
using Coordinator.StateMachine;

namespace Coordinator.StateMachine.Tests;

public sealed class Crc32Facts
{
    private static long Reference(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return crc ^ 0xFFFFFFFFu;
    }

    [Fact]
    public void Matches_the_standard_check_value_and_a_bitwise_reference()
    {
        Assert.Equal(0xCBF43926L, TreeDigest.Crc32.End(TreeDigest.Crc32.Update(TreeDigest.Crc32.Begin(), "123456789"u8)));
        var random = new Random(7);
        for (int length = 0; length < 70; length++)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            // Also in two pieces, as a digest feeds path, data and stat separately.
            int cut = length / 3;
            uint crc = TreeDigest.Crc32.Update(TreeDigest.Crc32.Begin(), bytes.AsSpan(0, cut));
            crc = TreeDigest.Crc32.Update(crc, bytes.AsSpan(cut));
            Assert.Equal(Reference(bytes), TreeDigest.Crc32.End(crc));
        }
    }

    [Fact]
    public void A_large_tree_is_digested_in_parallel_to_the_same_sum_as_node_by_node()
    {
        var tree = new DataTree();
        var acl = Coordinator.Jute.Records.Acl.OpenAclUnsafe;
        tree.RestoreNode("/a", new DataNode([1, 2, 3], acl, 1, 1, 0));
        for (int i = 0; i < 120_000; i++)
            tree.RestoreNode($"/a/n{i}", new DataNode(i % 7 == 0 ? null : BitConverter.GetBytes(i), acl, i + 2, i + 2, i));
        tree.RestoreNode("/a/" + new string('x', 2000), new DataNode([9], acl, 3, 3, 0));
        long expected = 0;
        foreach (var (path, node) in tree.ListNodes()) unchecked { expected += TreeDigest.OfNode(path, node); }
        Assert.Equal(expected, TreeDigest.Of(tree));
    }
}
