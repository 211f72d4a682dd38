// TreeDigest's CRC-32 against a bit-at-a-time reference and the standard check value, over every length around the 8-byte step.
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
}
