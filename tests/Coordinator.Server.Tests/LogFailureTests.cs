// A transaction log that fails (disk full, fsync error): the node turns read-only and never serves what the disk lacks.
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.Server.Configuration;
using Coordinator.Server.Pipeline;
using Coordinator.StateMachine;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coordinator.Server.Tests;

public sealed class LogFailureTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("logfail-tests-").FullName;
    private readonly FailingLog _log = new();
    private ServerNode _node = null!;

    public Task InitializeAsync()
    {
        _node = new ServerNode(ServerSettings.Default with { DataDir = _dataDir }, NullLogger<ServerNode>.Instance, txnLog: _log);
        _node.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task A_failed_sync_makes_the_node_read_only_and_loses_nothing_acknowledged()
    {
        var writer = await NodeClient.ConnectAsync(_node, 1);
        var reader = await NodeClient.ConnectAsync(_node, 2);
        await writer.CreateAsync("/kept", "durable"u8.ToArray());
        Assert.Null(await _node.QueryAsync(n => n.LogFailure));

        _log.FailSyncWith = new IOException("No space left on device");
        int xid = await writer.QueueAsync(NodeClient.Create("/lost", "never durable"u8.ToArray()));

        // The writer cannot be told whether its txn reached the disk: it loses its connection and gets no answer.
        await NodeClient.WaitUntil(() => writer.Connection.ClosedBecause is not null, "the writer was not disconnected");
        Assert.Contains("transaction log failed", writer.Connection.ClosedBecause);
        Assert.DoesNotContain(writer.Connection.Sent.Skip(1), p => { var r = new JuteReader(p.AsSpan(4)); return ReplyHeader.Read(ref r).Xid == xid; });

        // Nothing the disk does not hold is applied, and the node says why it is read-only.
        Assert.Equal("No space left on device", await _node.QueryAsync(n => n.LogFailure));
        Assert.False(await _node.QueryAsync(n => n.Tree.GetNode("/lost") is not null));

        // A client without a write in flight keeps its connection and its reads, and gets a clear error for writes.
        Assert.Null(reader.Connection.ClosedBecause);
        await reader.GetDataAsync("/kept", watch: false);
        var refused = await reader.CallAsync(NodeClient.Create("/after", []));
        Assert.Equal((int)ErrorCode.NotReadOnly, refused.Err);
        var refusedSet = await reader.CallAsync(new SetDataRequest("/kept", "x"u8.ToArray(), -1));
        Assert.Equal((int)ErrorCode.NotReadOnly, refusedSet.Err);
        Assert.Null(reader.Connection.ClosedBecause);
        Assert.Equal(1, _log.Appended.Count(t => t is CreateTxn { Path: "/lost" }));
        Assert.DoesNotContain(_log.Appended, t => t is CreateTxn { Path: "/after" });
    }

    [Fact]
    public async Task New_sessions_are_refused_while_the_log_is_down()
    {
        var first = await NodeClient.ConnectAsync(_node, 1);
        _log.FailSyncWith = new IOException("Input/output error");
        await first.QueueAsync(NodeClient.Create("/x", []));
        await NodeClient.WaitUntil(() => first.Connection.ClosedBecause is not null);

        // A new session is a txn, so it cannot be created: the connection is closed with a reason, not left hanging.
        var late = new FakeConnection(3);
        await _node.ConnectAsync(late, new ConnectRequest(0, 0, 30000, 0, new byte[16], false), CancellationToken.None);
        await NodeClient.WaitUntil(() => late.ClosedBecause is not null, "the new session was neither refused nor answered");
        Assert.Contains("transaction log failed", late.ClosedBecause);
        Assert.Empty(late.Sent);
    }

    /// <summary>Keeps appended txns in memory; its sync throws once <see cref="FailSyncWith"/> is set, as a full or broken disk does.</summary>
    private sealed class FailingLog : ITxnLog
    {
        private readonly List<Txn> _appended = [];

        public volatile Exception? FailSyncWith;

        public IReadOnlyList<Txn> Appended { get { lock (_appended) return [.. _appended]; } }

        public void Append(in TxnHeader header, Txn txn)
        {
            lock (_appended) _appended.Add(txn);
        }

        public void Sync()
        {
            if (FailSyncWith is { } e) throw e;
        }

        public void Roll() { }
    }
}
