// Polls a condition until it holds or the suite's wait bound passes; for states with no event to await.
namespace Coordinator.Client.Tests.Servers;

public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + ServerFixtures.WaitTimeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"never: {what}");
            await Task.Delay(10);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + ServerFixtures.WaitTimeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"never: {what}");
            await Task.Delay(10);
        }
    }
}
