// ZooKeeper 3.8's metric names and Prometheus types for what this node measures, so exporters render them as ZooKeeper does.
//
// ZooKeeper's Prometheus names are its mntr keys without "zk_". Types, from its source:
//   gauges    ZooKeeperServer.registerMetrics: the 24 server gauges below (packets_* are gauges there, not counters);
//             QuorumZooKeeperServer/LeaderZooKeeperServer/FollowerZooKeeperServer: quorum_size, learners,
//             synced_followers, synced_non_voting_followers, synced_observers, pending_syncs, leader_uptime.
//   summaries ServerMetrics: readlatency and updatelatency (DetailLevel.ADVANCED: quantiles 0.5, 0.9, 0.99),
//             fsynctime and election_time (DetailLevel.BASIC: quantile 0.5).
// A standalone ZooKeeper registers no quorum gauges; neither do we. An ensemble leader prints LeaderGauges in mntr
// and exports them (quorum_size, pending_syncs and leader_uptime are not measured).
namespace Coordinator.Server.Metrics;

public static class MetricCatalog
{
    public const string ReadLatency = "readlatency";
    public const string UpdateLatency = "updatelatency";
    public const string FsyncTime = "fsynctime";
    public const string ElectionTime = "election_time";

    /// <summary>ZooKeeperServer's gauges, every one of which mntr prints (with "zk_"), in ZooKeeper's registration order.</summary>
    public static IReadOnlyList<string> ServerGauges { get; } =
    [
        "avg_latency", "max_latency", "min_latency", "packets_received", "packets_sent", "num_alive_connections",
        "outstanding_requests", "uptime", "znode_count", "watch_count", "ephemerals_count", "approximate_data_size",
        "global_sessions", "local_sessions", "open_file_descriptor_count", "max_file_descriptor_count",
        "connection_drop_probability", "last_client_response_size", "max_client_response_size",
        "min_client_response_size", "outstanding_tls_handshake", "auth_failed_count", "non_mtls_remote_conn_count",
        "non_mtls_local_conn_count",
    ];

    /// <summary>Gauges a ZooKeeper server registers only as part of an ensemble (leader, follower or observer).</summary>
    public static IReadOnlyList<string> QuorumGauges { get; } =
    [
        "quorum_size", "learners", "synced_followers", "synced_non_voting_followers", "synced_observers",
        "pending_syncs", "leader_uptime",
    ];

    /// <summary>The quorum gauges a leader prints in mntr (zk_ prefixed) and /metrics exports; followers print none.</summary>
    public static IReadOnlyList<string> LeaderGauges { get; } =
    [
        "learners", "synced_followers", "synced_non_voting_followers", "synced_observers",
    ];

    /// <summary>Histograms ZooKeeper exposes as Prometheus summaries, with the quantiles its detail level gives them.</summary>
    public static IReadOnlyDictionary<string, double[]> SummaryQuantiles { get; } = new Dictionary<string, double[]>(StringComparer.Ordinal)
    {
        [ReadLatency] = [0.5, 0.9, 0.99],
        [UpdateLatency] = [0.5, 0.9, 0.99],
        [FsyncTime] = [0.5],
        [ElectionTime] = [0.5],
    };

    /// <summary>
    /// Bucket bounds (ms) the SDK aggregates these histograms into. ZooKeeper latencies are whole milliseconds and
    /// mostly 0 or 1, so the low end is fine-grained; quantiles are interpolated within a bucket.
    /// </summary>
    public static IReadOnlyList<double> LatencyBucketsMs { get; } =
        [0, 1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000, 30000, 60000];
}
