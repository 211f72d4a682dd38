// Owns the session tests across a restart: recovered sessions keep their ephemerals, expire if their client stays away, resume if it returns.
using System.Diagnostics;
using Xunit.Abstractions;

namespace Coordinator.Durability.Tests;

public sealed class SessionRestartTests(ITestOutputHelper output)
{
    /// <summary>tickTime=300 allows session timeouts from 600 to 6000 ms.</summary>
    private const int TickMs = 300;
    private const int SessionTimeoutMs = 6000;
    private const int PollMs = 200;

    /// <summary>How long after the restart the absent session's ephemeral may take to go: its timeout plus slack for a loaded machine.</summary>
    private static readonly TimeSpan ExpiryDeadline = TimeSpan.FromMilliseconds(SessionTimeoutMs + 20_000);

    [Fact]
    public async Task Ephemerals_survive_a_crash_then_go_with_their_session_unless_it_resumes()
    {
        using var dir = new TempDir("sessions");
        string cfg = ZooCfg.Write(dir.Path, dir.Combine("data"), $"tickTime={TickMs}");
        long absentSession, returningSession, lastSession;
        byte[] returningPassword, lastPassword;

        await using (var server = await ServerRuns.StartServingAsync(cfg))
        {
            await using var absent = await RawClient.ConnectAsync(server.EndPoint!, SessionTimeoutMs, ServerRuns.OpTimeout);
            await using var returning = await RawClient.ConnectAsync(server.EndPoint!, SessionTimeoutMs, ServerRuns.OpTimeout);
            Assert.Equal(SessionTimeoutMs, absent.NegotiatedTimeoutMs);
            Assert.Equal(0, (await absent.CreateAsync("/gone", [], RawClient.FlagEphemeral).WaitAsync(ServerRuns.OpTimeout)).Err);
            Assert.Equal(0, (await returning.CreateAsync("/kept", [], RawClient.FlagEphemeral).WaitAsync(ServerRuns.OpTimeout)).Err);
            absentSession = absent.SessionId;
            returningSession = returning.SessionId;
            returningPassword = returning.Password;
            // A session is a txn too: one whose handshake was answered just before the crash must be known after it.
            await using var handshakeOnly = await RawClient.ConnectAsync(server.EndPoint!, SessionTimeoutMs, ServerRuns.OpTimeout);
            (lastSession, lastPassword) = (handshakeOnly.SessionId, handshakeOnly.Password);
            // A crash with every client still connected: no closeSession reaches the log.
            await server.KillAsync();
        }

        await using var restarted = await ServerRuns.StartServingAsync(cfg);
        var sinceRestart = Stopwatch.StartNew();
        var endPoint = restarted.EndPoint!;
        await using var observer = await RawClient.ConnectAsync(endPoint, SessionTimeoutMs, ServerRuns.OpTimeout);
        Assert.Equal(absentSession, await OwnerAsync(observer, "/gone"));
        Assert.Equal(returningSession, await OwnerAsync(observer, "/kept"));
        output.WriteLine($"both ephemerals present {sinceRestart.ElapsedMilliseconds} ms after the serving line");

        await using var resumed = await RawClient.ResumeAsync(endPoint, SessionTimeoutMs, returningSession, returningPassword, ServerRuns.OpTimeout);
        Assert.NotNull(resumed); // null: the recovered session refused its own id and password after the restart
        Assert.Equal(returningSession, resumed.SessionId);

        await using (var last = await RawClient.ResumeAsync(endPoint, SessionTimeoutMs, lastSession, lastPassword, ServerRuns.OpTimeout))
        {
            Assert.True(last is not null, "a session whose handshake was answered before the crash is unknown after it");
            await last.CloseSessionAsync().WaitAsync(ServerRuns.OpTimeout);
        }

        // Poll until the absent session's ephemeral goes, pinging the resumed session meanwhile (bounded by the deadline).
        long goneAtMs = -1;
        while (sinceRestart.Elapsed < ExpiryDeadline)
        {
            await resumed.PingAsync();
            if (await OwnerAsync(observer, "/gone") is null)
            {
                goneAtMs = sinceRestart.ElapsedMilliseconds;
                break;
            }
            await Task.Delay(PollMs);
        }
        output.WriteLine($"/gone went {goneAtMs} ms after the serving line (session timeout {SessionTimeoutMs} ms)");
        Assert.True(goneAtMs >= 0, $"the absent session's ephemeral was still there {ExpiryDeadline.TotalSeconds} s after the restart");

        // The resumed session outlived the absent one's timeout (they restarted together), so its ephemeral stays...
        Assert.Equal(returningSession, await OwnerAsync(observer, "/kept"));
        // ...until it closes.
        Assert.Equal(0, (await resumed.CloseSessionAsync().WaitAsync(ServerRuns.OpTimeout)).Err);
        Assert.Null(await OwnerAsync(observer, "/kept"));

        // The expiry and the close were logged like any txn: after another crash neither session nor ephemeral returns.
        await restarted.KillAsync();
        await using var third = await ServerRuns.StartServingAsync(cfg);
        await using (var again = await RawClient.ConnectAsync(third.EndPoint!, SessionTimeoutMs, ServerRuns.OpTimeout))
        {
            Assert.Null(await OwnerAsync(again, "/gone"));
            Assert.Null(await OwnerAsync(again, "/kept"));
        }
        await using var expired = await RawClient.ResumeAsync(third.EndPoint!, SessionTimeoutMs, returningSession, returningPassword, ServerRuns.OpTimeout);
        Assert.Null(expired);
    }

    /// <summary>The znode's ephemeral owner, or null when it does not exist.</summary>
    private static async Task<long?> OwnerAsync(RawClient c, string path)
    {
        var reply = await c.ExistsAsync(path).WaitAsync(ServerRuns.OpTimeout);
        if (reply.Err == RawClient.ErrNoNode) return null;
        Assert.Equal(0, reply.Err);
        return reply.ReadStat().EphemeralOwner;
    }
}
