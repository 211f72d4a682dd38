// Which zoo.cfg keys ZooKeeper accepts that we ignore quietly, which we refuse, and which spellings are aliases.
namespace Coordinator.Host.Configuration;

/// <summary>
/// ZooKeeper never rejects a key: anything it does not parse itself becomes a "zookeeper."-prefixed Java
/// system property. So a zoo.cfg written for ZooKeeper may carry many tuning keys we do not implement.
/// Those must not produce warnings (operators would learn to ignore warnings), while a real typo should.
/// This table lists the keys ZooKeeper 3.8 documents or reads; anything else earns an "unknown key" warning.
/// </summary>
internal static class ZooCfgKeys
{
    /// <summary>Keys ZooKeeper reads that have no effect here.</summary>
    public static readonly IReadOnlySet<string> Ignored = new HashSet<string>(StringComparer.Ordinal)
    {
        // Parsed by QuorumPeerConfig itself.
        "localSessionsEnabled", "localSessionsUpgradingEnabled", "secureClientPort", "secureClientPortAddress",
        "observerMasterPort", "connectToLearnerMasterLimit", "electionAlg", "quorumListenOnAllIPs", "syncEnabled",
        "reconfigEnabled", "sslQuorum", "portUnification", "sslQuorumReloadCertFiles", "oraclePath",
        "client.portUnification",
        // Read as zookeeper.* system properties.
        "preAllocSize", "skipACL", "serverCnxnFactory", "maxCnxns", "fsync.warningthresholdms", "commitLogCount",
        "snapSizeLimitInKb", "txnLogSizeLimitInKb", "flushDelay", "maxWriteQueuePollTime", "maxBatchSize",
        "requestThrottleLimit", "requestThrottleStallTime", "requestThrottleDropStale", "largeRequestMaxBytes",
        "largeRequestThreshold", "emulate353TTLNodes", "superUser", "sessionRequireClientSASLAuth", "leaderServes",
        "cnxTimeout", "electionPortBindRetry", "tcpKeepAlive", "clientTcpKeepAlive", "watchManagerName",
        "watcherCleanThreshold", "watcherCleanIntervalInSeconds", "maxInProcessingDeleteWatches",
        "maxConcurrentSnapSyncs", "maxConcurrentDiffSyncs", "clientCnxnSocket", "client.secure", "fips-mode",
        "forward_learner_requests_to_commit_processor_disabled",
        "serverCnxnFactory.shutdownTimeout", "closeSessionTxn.enabled", "serializeLastProcessedZxid.enabled",
            };

    /// <summary>Families of keys ZooKeeper reads; every key under these prefixes is accepted quietly.</summary>
    public static readonly IReadOnlyList<string> IgnoredPrefixes =
    [
        "zookeeper.", "admin.", "autopurge.", "metricsProvider.", "ssl.", "quorum.", "authProvider.",
        "jvm.pause.", "multiAddress.", "nio.", "netty.", "kerberos.", "X509AuthenticationProvider.",
        "DigestAuthenticationProvider.", "enforce.auth.", "digest.", "snapshot.", "jute.", "audit.",
        "learner.", "leader.", "follower.", "messageTracker.", "request_throttler.", "connection_throttle_",
        "sasl.", "fsync.", "txnlog.", "serverCnxnFactory.",
    ];

    /// <summary>
    /// Keys we refuse rather than ignore, because ignoring them would silently change who is in the
    /// ensemble or how a quorum is counted.
    /// </summary>
    public static string? RefusalReason(string key)
    {
        if (key == "dynamicConfigFile")
        {
            return "a separate dynamic config file is not supported; list the server.N lines in zoo.cfg itself";
        }
        if (key.StartsWith("group.", StringComparison.Ordinal) || key.StartsWith("weight.", StringComparison.Ordinal))
        {
            return "hierarchical quorums (group.N, weight.N) are not supported; every participant has one vote";
        }
        return null;
    }

    /// <summary>
    /// Settings ZooKeeper reads as "zookeeper.X" system properties. People copy them from -D flags into
    /// zoo.cfg with the prefix, so both spellings set the same value here.
    /// </summary>
    public static readonly IReadOnlySet<string> SystemPropertyStyle = new HashSet<string>(StringComparer.Ordinal)
    {
        "4lw.commands.whitelist", "globalOutstandingLimit", "DigestAuthenticationProvider.superDigest",
        "extendedTypesEnabled", "snapCount", "forceSync", "admin.serverPort", "admin.serverAddress",
        "admin.enableServer", "jute.maxbuffer", "enforceQuota",
    };

    public static bool IsIgnored(string key) =>
        Ignored.Contains(key) || IgnoredPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The key a value is stored under: "zookeeper.snapCount" and "snapCount" are the same setting.</summary>
    public static string Canonical(string key)
    {
        const string Prefix = "zookeeper.";
        if (key.StartsWith(Prefix, StringComparison.Ordinal) && SystemPropertyStyle.Contains(key[Prefix.Length..]))
        {
            return key[Prefix.Length..];
        }
        return key;
    }
}
