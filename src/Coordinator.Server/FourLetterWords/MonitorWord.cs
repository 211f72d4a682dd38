// mntr: the server's gauges as "zk_<name><TAB><value>" lines, under ZooKeeper 3.8's names and in its order.
//
// Format: one "key\tvalue\n" line per gauge, nothing else. zk_version and zk_server_state come first, then the
// gauges a 3.8 server registers, in the order a 3.8 server prints them. Averages keep a fraction ("0.0").
// zk_open_file_descriptor_count and zk_max_file_descriptor_count appear only where the OS exposes them (Linux:
// /proc/self/fd and the soft "Max open files" limit), as ZooKeeper prints them only on Unix.
// ZooKeeper's fsynctime summary is printed (zk_avg/min/max/cnt/sum_fsynctime, after the gauges, as 3.8 prints
// summaries): benchmarks read fsyncs per second from zk_cnt_fsynctime on either server.
// Not printed: the hundreds of other internal counters and summaries (commit processor queues, JVM pause
// percentiles, ...) that describe ZooKeeper's own pipeline stages, which this server does not have; leader-only
// quota gauges. The leader adds zk_learners, zk_synced_followers, zk_synced_non_voting_followers and
// zk_synced_observers (the ones ZooKeeper's own monitoring templates read).
// Gauges kept for tools but not measured yet: zk_auth_failed_count (0) and the client response sizes (-1, which
// ZooKeeper also prints before it has sent a response).
using System.Text;

namespace Coordinator.Server;

internal static class MonitorWord
{
    public static string Mntr(ServerNode node, WordInputs input)
    {
        if (!node.IsServing) return StatWords.NotServing;
        var s = node.Stats;
        var tree = node.Tree;
        var facts = input.Facts;
        long uptimeMs = (long)(node.Time.GetUtcNow() - node.StartedAt).TotalMilliseconds;
        var text = new StringBuilder(1024);
        void Line(string key, string value) => text.Append(key).Append('\t').Append(value).Append('\n');
        void Count(string key, long value) => Line(key, WordFormat.Number(value));

        Line("zk_version", input.Version);
        Line("zk_server_state", node.Mode);
        Count("zk_ephemerals_count", tree.EphemeralCount);
        Count("zk_num_alive_connections", node.Clients.Count);
        Line("zk_avg_latency", WordFormat.Average(s.AvgLatencyMs));
        Count("zk_outstanding_requests", node.QueuedCommandCount);
        Count("zk_znode_count", tree.NodeCount);
        Count("zk_global_sessions", node.SessionCount);
        Count("zk_non_mtls_remote_conn_count", 0);
        Count("zk_last_client_response_size", -1);
        Count("zk_packets_sent", StatWords.PacketsSent(node));
        Count("zk_packets_received", s.PacketsReceived);
        Count("zk_max_client_response_size", -1);
        Line("zk_connection_drop_probability", WordFormat.JavaDouble(0));
        Count("zk_watch_count", tree.Watches.WatchCount);
        Count("zk_auth_failed_count", 0);
        Count("zk_min_latency", WordFormat.MinLatency(s.MinLatencyMs, s.RequestCount));
        if (facts.MaxFileDescriptors is { } maxFds) Count("zk_max_file_descriptor_count", maxFds);
        Count("zk_approximate_data_size", tree.ApproximateDataSize);
        if (facts.OpenFileDescriptors is { } openFds) Count("zk_open_file_descriptor_count", openFds);
        // Every session is global in standalone mode; local sessions exist only on learners that enable them.
        Count("zk_local_sessions", 0);
        Count("zk_uptime", uptimeMs);
        Count("zk_max_latency", s.MaxLatencyMs);
        Count("zk_outstanding_tls_handshake", 0);
        Count("zk_min_client_response_size", -1);
        Count("zk_non_mtls_local_conn_count", 0);
        var fsyncs = s.Fsyncs;
        Line("zk_avg_fsynctime", WordFormat.Average(fsyncs.AvgMs));
        Count("zk_min_fsynctime", fsyncs.MinMs);
        Count("zk_max_fsynctime", fsyncs.MaxMs);
        Count("zk_cnt_fsynctime", fsyncs.Count);
        Count("zk_sum_fsynctime", fsyncs.SumMs);
        if (node.Zab?.Learners is { } learners)
        {
            Count("zk_learners", learners.Learners);
            Count("zk_synced_followers", learners.SyncedFollowers);
            Count("zk_synced_non_voting_followers", 0);
            Count("zk_synced_observers", learners.SyncedObservers);
        }
        return text.ToString();
    }
}
