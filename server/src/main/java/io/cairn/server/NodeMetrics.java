package io.cairn.server;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.kv.state.KvStateMachine;
import io.cairn.kv.state.WatchHub;
import io.cairn.multiraft.WalLogStore;
import io.cairn.placement.MemberInfo;
import io.cairn.placement.ShardGroups;
import io.cairn.raft.RaftMessage;
import io.cairn.wal.FileIo;
import io.cairn.wal.ForwardingFileIo;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * A node's meters, kept by Micrometer and written as Prometheus text by {@link #scrape()}
 * (docs/observability.md lists every one):
 * <ul>
 *   <li>{@code cairn_requests_seconds{service,method,code}}: every client call as it ended, a
 *       count and a latency histogram (Prometheus buckets) per method and gRPC status code;</li>
 *   <li>{@code cairn_raft_*{shard}}: each hosted replica's term, commit, applied and last index,
 *       apply lag, leadership, leader changes seen, and its shard's replication state as its
 *       leader sees it (under-replicated, moving); append batch sizes and snapshot traffic;</li>
 *   <li>{@code cairn_wal_*}: fdatasync latency, appends, records and bytes of the node's log;</li>
 *   <li>{@code cairn_shard_size_bytes}, {@code cairn_watchers}, and a bounded census of each
 *       replica's TTL keys, sessions, locks held and transaction intents;</li>
 *   <li>{@code cairn_txn_conflicts_total{shard,kind}};</li>
 *   <li>{@code cairn_rocksdb_*}: the node's storage engine; the JVM's memory, GC, threads, CPU.</li>
 * </ul>
 * Replica gauges read {@link RaftLoop#status} at scrape time; replicas opened later are added at
 * the next scrape.
 */
final class NodeMetrics {
    /** Each census count stops here: a scrape of a huge shard costs a bounded scan. */
    static final int CENSUS_PER_KIND_MAX = 1_000_000;
    /** A census is reused this long, so frequent scrapes do not rescan. */
    private static final long CENSUS_REUSE_MILLIS = 30_000;
    private static final String[] ROCKSDB_PROPERTIES = {
        "rocksdb.estimate-num-keys", "rocksdb.total-sst-files-size", "rocksdb.cur-size-all-mem-tables",
        "rocksdb.block-cache-usage", "rocksdb.estimate-pending-compaction-bytes", "rocksdb.num-running-compactions",
        "rocksdb.num-running-flushes", "rocksdb.num-immutable-mem-table", "rocksdb.actual-delayed-write-rate",
        "rocksdb.is-write-stopped", "rocksdb.num-live-versions"};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer fsync;
    private final DistributionSummary appendBatch;
    private RaftLoop loop;
    private ClusterMap map;
    private NodeEvents events;
    private final Set<GroupId> gauged = new HashSet<>();
    private final Map<GroupId, CachedCensus> censuses = new java.util.concurrent.ConcurrentHashMap<>();

    private record CachedCensus(long atMillis, KvStateMachine.Census census) {}

    NodeMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        fsync = Timer.builder("cairn_wal_fsync").description("fdatasyncs of the node's write-ahead log")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        appendBatch = DistributionSummary.builder("cairn_raft_append_entries")
                .description("entries per AppendEntries message a leader here sent")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024).register(registry);
    }

    /** Meters of the node's parts, once they exist. */
    void bind(RaftLoop loop, ClusterMap map, NodeEvents events, WalLogStore store, NodeEngine engine) {
        this.loop = loop;
        this.map = map;
        this.events = events;
        FunctionCounter.builder("cairn_wal_appends", store, s -> s.walStats().appendCalls())
                .description("batches made durable by the write-ahead log").register(registry);
        FunctionCounter.builder("cairn_wal_records", store, s -> s.walStats().records())
                .description("records made durable by the write-ahead log").register(registry);
        FunctionCounter.builder("cairn_wal_bytes", store, s -> s.walStats().bytesWritten())
                .description("bytes written to the write-ahead log, headers included").baseUnit("bytes").register(registry);
        for (String property : ROCKSDB_PROPERTIES) {
            Gauge.builder("cairn_rocksdb_" + property.substring("rocksdb.".length()).replace('-', '_'), engine,
                            e -> {
                                long v = e.property(property);
                                return v < 0 ? Double.NaN : v;
                            })
                    .description("RocksDB's " + property + " for the node's engine").register(registry);
        }
        Gauge.builder("cairn_raft_leaders", loop, l -> l.hostedGroups().stream()
                        .filter(g -> l.status(g) != null && l.status(g).role() == Role.LEADER).count())
                .description("replicas on this node that lead their shard").register(registry);
        Gauge.builder("cairn_raft_replicas", loop, l -> l.hostedGroups().size())
                .description("replicas this node hosts, the metadata group's included").register(registry);
        Gauge.builder("cairn_lock_waiters", loop, l -> l.lockSessions().waiting())
                .description("clients waiting here for a queued lock entry to be granted").register(registry);
        Gauge.builder("cairn_lock_keepalive_sessions", loop, l -> l.lockSessions().keepalives().size())
                .description("lock sessions this node received keep-alives for (kept two hours)").register(registry);
    }

    /** The WAL's file operations, with every fdatasync timed into {@code cairn_wal_fsync_seconds}. */
    FileIo timed(FileIo io) {
        return new TimedFileIo(io, fsync);
    }

    /** A Raft message this node sent ({@code sent}) or received: append batches and snapshot traffic. */
    void raftMessage(boolean sent, RaftMessage message) {
        if (sent && message instanceof RaftMessage.AppendEntries a) {
            appendBatch.record(a.entries().size());
        } else if (message instanceof RaftMessage.InstallSnapshot s) {
            String direction = sent ? "sent" : "received";
            Counter.builder("cairn_raft_snapshot_bytes").description("snapshot bytes, by direction")
                    .baseUnit("bytes").tag("direction", direction).register(registry).increment(s.chunk().size());
            if (s.last()) {
                Counter.builder("cairn_raft_snapshots").description("snapshots whose last chunk left or arrived")
                        .tag("direction", direction).register(registry).increment();
            }
        }
    }

    /** Prometheus text exposition format of every meter. */
    synchronized String scrape() {
        if (loop != null) {
            for (GroupId group : loop.hostedGroups()) {
                if (gauged.add(group)) {
                    gaugeReplica(group);
                }
            }
        }
        return registry.scrape();
    }

    /** The registry, for the dashboard's view of request counts and histograms. */
    PrometheusMeterRegistry registry() {
        return registry;
    }

    private void gaugeReplica(GroupId group) {
        String shard = shardLabel(group);
        raftGauge("cairn_raft_term", "the replica's Raft term", shard, group, Status::term);
        raftGauge("cairn_raft_commit_index", "highest log index known committed", shard, group, Status::commitIndex);
        raftGauge("cairn_raft_applied_index", "highest log index applied to the state machine", shard, group,
                Status::appliedIndex);
        raftGauge("cairn_raft_apply_lag_entries", "committed entries not yet applied", shard, group,
                s -> s.commitIndex() - s.appliedIndex());
        raftGauge("cairn_raft_last_index", "last index in the replica's log", shard, group, Status::lastIndex);
        raftGauge("cairn_raft_leader", "1 when this replica leads its shard", shard, group,
                s -> s.role() == Role.LEADER ? 1 : 0);
        raftGauge("cairn_raft_has_leader", "1 when this replica knows its shard's leader", shard, group,
                s -> s.leader() != null ? 1 : 0);
        raftGauge("cairn_shard_under_replicated", "1 when this replica leads a shard with fewer voters on live"
                + " members than its placement asks for", shard, group, s -> leaderView(group, s, true));
        raftGauge("cairn_shard_moving", "1 when this replica leads a shard whose replicas are changing (learners,"
                + " joint configuration, or voters other than its placement)", shard, group, s -> leaderView(group, s, false));
        FunctionCounter.builder("cairn_raft_leader_changes_seen", events, e -> e.leaderChangesSeen(group))
                .description("times this replica learned of a new leader").tag("shard", shard).register(registry);
        Gauge.builder("cairn_shard_size_bytes", loop, l -> l.status(group) == null ? Double.NaN : l.sizeBytes(group))
                .description("bytes of the replica's state on disk (estimate)").tag("shard", shard)
                .register(registry);
        Gauge.builder("cairn_watchers", loop, l -> {
            WatchHub hub = l.watches(group);
            return hub == null ? Double.NaN : hub.watcherCount();
        }).description("watch streams this replica serves").tag("shard", shard).register(registry);
        censusGauge("cairn_ttl_keys", "keys with a TTL", shard, group, KvStateMachine.Census::ttlKeys);
        censusGauge("cairn_sessions", "client sessions the state keeps (exactly-once records)", shard, group,
                KvStateMachine.Census::sessions);
        censusGauge("cairn_locks_held", "locks with holders or waiters", shard, group, KvStateMachine.Census::locksHeld);
        censusGauge("cairn_lock_sessions", "lock sessions the shard knows (live, or ended within the hour)", shard,
                group, KvStateMachine.Census::lockSessions);
        censusGauge("cairn_txn_intents", "keys holding intents of unresolved transactions", shard, group,
                KvStateMachine.Census::intents);
        censusGauge("cairn_txn_records", "decided transactions' records kept for their intents' resolution",
                shard, group, KvStateMachine.Census::txnRecords);
    }

    /** 0 or 1 as the shard's leader sees its replication; 0 on a replica that does not lead. */
    private double leaderView(GroupId group, Status s, boolean underReplicated) {
        io.cairn.placement.Topology t = map.current();
        if (s.role() != Role.LEADER || t == null || t.members().isEmpty()) {
            return 0;
        }
        List<NodeId> placed = t.replicasOf(group);
        if (placed == null) {
            return 0;
        }
        if (underReplicated) {
            long live = s.conf().voters().stream().filter(v -> {
                MemberInfo m = t.members().get(v);
                return m != null && m.state() == MemberInfo.State.UP;
            }).count();
            return live < placed.size() ? 1 : 0;
        }
        boolean settled = !s.conf().isJoint() && s.conf().learners().isEmpty()
                && s.conf().voters().equals(new java.util.TreeSet<>(placed));
        return settled ? 0 : 1;
    }

    private void censusGauge(String name, String description, String shard, GroupId group,
                             ToDoubleFunction<KvStateMachine.Census> f) {
        Gauge.builder(name, loop, l -> {
            KvStateMachine.Census c = census(group);
            return c == null ? Double.NaN : f.applyAsDouble(c);
        }).description(description + " (a bounded count: stops at " + CENSUS_PER_KIND_MAX + ")").tag("shard", shard)
                .register(registry);
    }

    /** The replica's census, reused for {@link #CENSUS_REUSE_MILLIS}; null when not hosted here. */
    private KvStateMachine.Census census(GroupId group) {
        long now = System.currentTimeMillis();
        CachedCensus cached = censuses.get(group);
        if (cached != null && now - cached.atMillis() < CENSUS_REUSE_MILLIS) {
            return cached.census();
        }
        KvStateMachine.Census c = loop.census(group, CENSUS_PER_KIND_MAX);
        if (c == null) {
            censuses.remove(group);
            return null;
        }
        censuses.put(group, new CachedCensus(now, c));
        return c;
    }

    private void raftGauge(String name, String description, String shard, GroupId group, ToDoubleFunction<Status> f) {
        Gauge.builder(name, loop, l -> {
            Status s = l.status(group);
            return s == null ? Double.NaN : f.applyAsDouble(s);
        }).description(description).tag("shard", shard).register(registry);
    }

    /** Times {@link FileIo.Handle#force()}, the WAL's fdatasync. */
    private static final class TimedFileIo extends ForwardingFileIo {
        private final Timer fsync;

        TimedFileIo(FileIo io, Timer fsync) {
            super(io);
            this.fsync = fsync;
        }

        @Override
        protected Handle wrap(Handle handle) {
            return new ForwardingHandle(handle) {
                @Override
                public void force() throws IOException {
                    long start = System.nanoTime();
                    super.force();
                    fsync.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
                }
            };
        }
    }

    /** A shard's number, or "meta" for the metadata group: short label values. */
    static String shardLabel(GroupId group) {
        return group.equals(ShardGroups.META_GROUP) ? "meta" : Integer.toString(ShardGroups.shardOfGroup(group));
    }

    /**
     * A transaction conflict in {@code group} on {@code key}: a prepare refused, or a write that had
     * to wait. Labelled with the key's range, its first segment ({@link #rangeOf}), so hot spots
     * show by key prefix as well as by shard.
     */
    void txnConflict(GroupId group, boolean prepare, byte[] key) {
        Counter.builder("cairn_txn_conflicts").description("transactions that met another's intent")
                .tag("shard", shardLabel(group)).tag("kind", prepare ? "prepare" : "wait").tag("range", rangeOf(key))
                .register(registry).increment();
    }

    /** Distinct range labels kept; conflicts in further ranges count as "other". */
    static final int CONFLICT_RANGES_MAX = 64;
    private final java.util.Set<String> conflictRanges = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A key's range for metrics: the key up to and including its first '/' (a key without one
     * counts whole, cut to 32 bytes), as printable text; past {@link #CONFLICT_RANGES_MAX}
     * distinct ranges, "other", so a workload of random keys cannot grow the label set.
     */
    String rangeOf(byte[] key) {
        int end = Math.min(key.length, 32);
        for (int i = 0; i < end; i++) {
            if (key[i] == '/') {
                end = i + 1;
                break;
            }
        }
        String range = io.cairn.common.Bytes.copyOf(key, 0, end).toString() + (end < key.length && key[end - 1] != '/' ? "..." : "");
        if (conflictRanges.contains(range)) {
            return range;
        }
        if (conflictRanges.size() >= CONFLICT_RANGES_MAX) {
            return "other";
        }
        conflictRanges.add(range);
        return range;
    }

    /** An interceptor that does nothing: for a node that serves no {@code /metrics}. */
    static ServerInterceptor none() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                              ServerCallHandler<Q, R> next) {
                return next.startCall(call, headers);
            }
        };
    }

    /**
     * Times every unary client call of the services it wraps, by method, consistency level (of a
     * read that names one; "none" otherwise) and status code. Streams (watches, session
     * keepalives) live for minutes: their lifetimes would swamp the latency histograms, so they
     * are only counted as they end, in {@code cairn_streams_total}.
     */
    ServerInterceptor requests() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                              ServerCallHandler<Q, R> next) {
                long start = System.nanoTime();
                String service = call.getMethodDescriptor().getServiceName();
                String method = call.getMethodDescriptor().getBareMethodName();
                boolean unary = call.getMethodDescriptor().getType() == io.grpc.MethodDescriptor.MethodType.UNARY;
                // Set from the request when it arrives, read when the call closes after it.
                String[] level = {"none"};
                ServerCall.Listener<Q> listener = next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void close(io.grpc.Status status, Metadata trailers) {
                        String serviceTag = service == null ? "" : service;
                        String methodTag = method == null ? "" : method;
                        if (unary) {
                            requestTimer(serviceTag, methodTag, level[0], status.getCode().name())
                                    .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
                        } else {
                            Counter.builder("cairn_streams").description("client streams ended, by method and outcome")
                                    .tag("service", serviceTag).tag("method", methodTag)
                                    .tag("code", status.getCode().name()).register(registry).increment();
                        }
                        super.close(status, trailers);
                    }
                }, headers);
                return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
                    @Override
                    public void onMessage(Q message) {
                        level[0] = consistencyOf(message);
                        super.onMessage(message);
                    }
                };
            }
        };
    }

    /** Request timers by service, method, level and code: found here rather than built per call. */
    private final Map<List<String>, Timer> requestTimers = new java.util.concurrent.ConcurrentHashMap<>();
    /** Each request type's consistency field, or empty: looked up once per type, not per call. */
    private static final Map<com.google.protobuf.Descriptors.Descriptor,
            java.util.Optional<com.google.protobuf.Descriptors.FieldDescriptor>> CONSISTENCY_FIELDS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private Timer requestTimer(String service, String method, String level, String code) {
        return requestTimers.computeIfAbsent(List.of(service, method, level, code), k ->
                Timer.builder("cairn_requests").description("unary client calls, by method, level and outcome")
                        .tag("service", service).tag("method", method).tag("consistency", level).tag("code", code)
                        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(30)).register(registry));
    }

    /** The consistency level a request asks for, lower case ("linearizable" when unset), or "none". */
    static String consistencyOf(Object request) {
        if (!(request instanceof com.google.protobuf.Message m)) {
            return "none";
        }
        com.google.protobuf.Descriptors.FieldDescriptor f = CONSISTENCY_FIELDS.computeIfAbsent(m.getDescriptorForType(),
                d -> java.util.Optional.ofNullable(d.findFieldByName("consistency"))
                        .filter(x -> x.getType() == com.google.protobuf.Descriptors.FieldDescriptor.Type.ENUM))
                .orElse(null);
        if (f == null) {
            return "none";
        }
        String name = ((com.google.protobuf.Descriptors.EnumValueDescriptor) m.getField(f)).getName();
        return name.equals("CONSISTENCY_UNSPECIFIED") ? "linearizable"
                : name.substring("CONSISTENCY_".length()).toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * A call the edge refused: {@code unauthenticated} (no or bad credentials), {@code denied}
     * (a permission missing), {@code node-only} (a method for nodes called by a client).
     */
    void denied(String reason) {
        Counter.builder("cairn_auth_refusals").description("calls refused by authentication or authorization, by reason")
                .tag("reason", reason).register(registry).increment();
    }
}
