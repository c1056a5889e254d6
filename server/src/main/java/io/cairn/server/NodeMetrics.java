package io.cairn.server;

import io.cairn.common.GroupId;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.placement.ShardGroups;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * A node's meters, kept by Micrometer and written as Prometheus text by {@link #scrape()}:
 * <ul>
 *   <li>{@code cairn_requests_seconds{service,method,code}}: every client call as it ended, a
 *       count and a latency histogram (Prometheus buckets) per method and gRPC status code;</li>
 *   <li>{@code cairn_raft_*{shard}}: each hosted replica's term, commit, applied and last index,
 *       whether it leads, whether it knows a leader, and the replica's bytes on disk;</li>
 *   <li>{@code cairn_txn_conflicts_total{shard,kind}}: prepares refused (kind "prepare") and
 *       writes that waited for another transaction's intent ("wait"), per shard;</li>
 *   <li>the JVM's memory, GC, threads, CPU and uptime.</li>
 * </ul>
 * Replica gauges read {@link RaftLoop#status} at scrape time; replicas opened later are added
 * at the next scrape.
 */
final class NodeMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RaftLoop loop;
    private final Set<GroupId> gauged = new HashSet<>();

    NodeMetrics(RaftLoop loop) {
        this.loop = loop;
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /** Prometheus text exposition format of every meter. */
    synchronized String scrape() {
        for (GroupId group : loop.hostedGroups()) {
            if (gauged.add(group)) {
                gaugeReplica(group);
            }
        }
        return registry.scrape();
    }

    private void gaugeReplica(GroupId group) {
        String shard = shardLabel(group);
        raftGauge("cairn_raft_term", "the replica's Raft term", shard, group, Status::term);
        raftGauge("cairn_raft_commit_index", "highest log index known committed", shard, group, Status::commitIndex);
        raftGauge("cairn_raft_applied_index", "highest log index applied to the state machine", shard, group,
                Status::appliedIndex);
        raftGauge("cairn_raft_last_index", "last index in the replica's log", shard, group, Status::lastIndex);
        raftGauge("cairn_raft_leader", "1 when this replica leads its shard", shard, group,
                s -> s.role() == Role.LEADER ? 1 : 0);
        raftGauge("cairn_raft_has_leader", "1 when this replica knows its shard's leader", shard, group,
                s -> s.leader() != null ? 1 : 0);
        Gauge.builder("cairn_shard_size_bytes", loop, l -> l.status(group) == null ? Double.NaN : l.sizeBytes(group))
                .description("bytes of the replica's state on disk (estimate)").tag("shard", shard)
                .register(registry);
    }

    private void raftGauge(String name, String description, String shard, GroupId group, ToDoubleFunction<Status> f) {
        Gauge.builder(name, loop, l -> {
            Status s = l.status(group);
            return s == null ? Double.NaN : f.applyAsDouble(s);
        }).description(description).tag("shard", shard).register(registry);
    }

    /** A shard's number, or "meta" for the metadata group: short label values. */
    static String shardLabel(GroupId group) {
        return group.equals(ShardGroups.META_GROUP) ? "meta" : Integer.toString(ShardGroups.shardOfGroup(group));
    }

    /** A transaction conflict in {@code group}: a prepare refused, or a write that had to wait. */
    void txnConflict(GroupId group, boolean prepare) {
        Counter.builder("cairn_txn_conflicts").description("transactions that met another's intent")
                .tag("shard", shardLabel(group)).tag("kind", prepare ? "prepare" : "wait")
                .register(registry).increment();
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

    /** Times every client call of the services it wraps, by method and status code. */
    ServerInterceptor requests() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                              ServerCallHandler<Q, R> next) {
                long start = System.nanoTime();
                String service = call.getMethodDescriptor().getServiceName();
                String method = call.getMethodDescriptor().getBareMethodName();
                return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void close(io.grpc.Status status, Metadata trailers) {
                        Timer.builder("cairn_requests").description("client calls, by method and outcome")
                                .tag("service", service == null ? "" : service).tag("method", method == null ? "" : method)
                                .tag("code", status.getCode().name()).publishPercentileHistogram()
                                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                                .register(registry).record(Duration.ofNanos(System.nanoTime() - start));
                        super.close(status, trailers);
                    }
                }, headers);
            }
        };
    }
}
