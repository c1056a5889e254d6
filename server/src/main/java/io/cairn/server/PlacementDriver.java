package io.cairn.server;

import io.cairn.api.proto.Membership;
import io.cairn.api.proto.NodeHeartbeatRequest;
import io.cairn.api.proto.NodeHeartbeatResponse;
import io.cairn.api.proto.ShardReport;
import io.cairn.common.Bytes;
import io.cairn.common.Clock;
import io.cairn.common.NodeId;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.KeyValue;
import io.cairn.kv.state.Result;
import io.cairn.placement.MemberInfo;
import io.cairn.placement.MembershipPolicy;
import io.cairn.placement.ReplicaReconciler;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The control plane, active on the node that leads the metadata group. The membership is one
 * key of that group's store, changed only by compare-and-set, so its version is the cluster's
 * epoch and two drivers (an old leader and a new one) can never both apply a change. Every node
 * derives the same placement from a membership ({@link Topology#derive}); the shard leaders move
 * their groups towards it ({@link ReplicaReconciler}). The driver itself only decides who is a
 * member and in which state:
 * <ul>
 *   <li>a node that asks to join (or is added) becomes UP and so receives its share of replicas;</li>
 *   <li>an UP node not heard from for the dead-node timeout becomes DEAD, so its replicas are
 *       rebuilt elsewhere, unless that would leave fewer UP nodes than the replication factor;
 *       a DEAD node heard from again becomes UP;</li>
 *   <li>a node being removed becomes LEAVING, and REMOVED once no shard leader reports it.</li>
 * </ul>
 * One change per pass, twice a second. Liveness is soft state: a new metadata leader starts
 * every node's clock afresh, so a failover never declares anyone dead early.
 */
final class PlacementDriver implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PlacementDriver.class.getName());
    static final Bytes MEMBERSHIP_KEY = Bytes.utf8("cluster/membership");
    private static final long PASS_INTERVAL_MILLIS = 500;
    /** A DEAD node heard from this recently is up again. */
    private static final long ALIVE_AGAIN_MILLIS = 3_000;
    /** Shard reports older than this do not count as proof that a leaving node holds nothing. */
    private static final long REPORT_FRESH_MILLIS = 5_000;
    private static final long READ_TIMEOUT_MILLIS = 5_000;

    /** The membership at one version, as read from the metadata group. */
    record Snapshot(long epoch, List<MemberInfo> members) {
        Optional<MemberInfo> member(NodeId id) {
            return members.stream().filter(m -> m.id().equals(id)).findFirst();
        }

        Membership toProto() {
            Membership.Builder b = Membership.newBuilder();
            members.forEach(m -> b.addMembers(MemberCodec.toProto(m)));
            return b.build();
        }
    }

    private record Waiter(Predicate<Snapshot> done, CompletableFuture<Snapshot> future) {}

    private record TimedReport(ShardReport report, long receivedNanos) {}

    private final RaftLoop loop;
    private final ServerConfig config;
    private final Clock clock;
    private final ConcurrentHashMap<NodeId, Long> lastSeenNanos = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, TimedReport> reports = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<NodeId, MemberInfo> joins = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<NodeId, Boolean> leaves = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Waiter> waiters = new CopyOnWriteArrayList<>();
    /** How long this node has led the metadata group with its configuration; guarded by itself. */
    private final io.cairn.placement.ConfTenure metaTenure = new io.cairn.placement.ConfTenure();
    private final ScheduledExecutorService executor;
    private volatile Snapshot current = new Snapshot(0, List.of());
    private volatile boolean leading;
    private long leaderSinceNanos;

    PlacementDriver(RaftLoop loop, ServerConfig config, Clock clock) {
        this.loop = loop;
        this.config = config;
        this.clock = clock;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "placement-driver");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        executor.scheduleWithFixedDelay(this::passSafely, PASS_INTERVAL_MILLIS, PASS_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Whether this node leads the metadata group and has read the membership since. */
    boolean serving() {
        return leading && current.epoch > 0;
    }

    /** Any thread: records a node's heartbeat and answers with the membership and shard reports. */
    NodeHeartbeatResponse heartbeat(NodeHeartbeatRequest req) {
        long now = clock.nanoTime();
        NodeId from = NodeId.of(req.getNodeId());
        lastSeenNanos.put(from, now);
        for (ShardReport r : req.getLedList()) {
            reports.merge(r.getShard(), new TimedReport(r, now),
                    (old, neu) -> neu.report().getTerm() >= old.report().getTerm() ? neu : old);
        }
        Snapshot snap = current;
        if (req.getJoin()) {
            Optional<MemberInfo> known = snap.member(from);
            if (known.isEmpty() || known.get().state() == MemberInfo.State.REMOVED
                    || !known.get().address().equals(req.getAddress())) {
                joins.putIfAbsent(from, new MemberInfo(from, req.getAddress(), "", MemberInfo.State.UP));
            }
        }
        NodeHeartbeatResponse.Builder b = NodeHeartbeatResponse.newBuilder().setServed(true)
                .setEpoch(snap.epoch).setMembership(snap.toProto());
        Status meta = loop.status(ShardGroups.META_GROUP);
        if (meta != null && meta.role() == Role.LEADER) {
            long age;
            synchronized (metaTenure) {
                age = metaTenure.observe(ShardGroups.META_GROUP, meta.term(), meta.conf(), TimeUnit.NANOSECONDS.toMillis(now));
            }
            ShardReport.Builder r = ShardReport.newBuilder().setLeader(config.nodeId().value()).setTerm(meta.term())
                    .setAppliedIndex(meta.appliedIndex()).setConfAgeMs(age);
            meta.conf().voters().forEach(n -> r.addVoters(n.value()));
            meta.conf().votersOutgoing().forEach(n -> r.addVotersOutgoing(n.value()));
            meta.conf().learners().forEach(n -> r.addLearners(n.value()));
            b.setMeta(r);
        }
        // Only fresh reports: a replica that reads its removal in a dead leader's last report
        // would wipe a vote its group may still need (see ReplicaLifecycle).
        new TreeMap<>(reports).values().stream()
                .filter(t -> TimeUnit.NANOSECONDS.toMillis(now - t.receivedNanos()) <= REPORT_FRESH_MILLIS)
                .forEach(t -> b.addShards(t.report()));
        return b.build();
    }

    /** Registers a member; completes once the membership has it UP at the given address. */
    CompletableFuture<Snapshot> addNode(MemberInfo member) {
        joins.put(member.id(), member);
        return await(s -> s.member(member.id())
                .filter(m -> m.state() == MemberInfo.State.UP && m.address().equals(member.address())).isPresent());
    }

    /** Starts decommissioning a member; completes once it is LEAVING (or already REMOVED). */
    CompletableFuture<Snapshot> removeNode(NodeId id) {
        if (current.member(id).isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("n" + id.value() + " is not a member"));
        }
        leaves.put(id, Boolean.TRUE);
        return await(s -> s.member(id).map(m -> m.state() == MemberInfo.State.LEAVING
                || m.state() == MemberInfo.State.REMOVED).orElse(false));
    }

    private CompletableFuture<Snapshot> await(Predicate<Snapshot> done) {
        CompletableFuture<Snapshot> f = new CompletableFuture<Snapshot>().orTimeout(15, TimeUnit.SECONDS);
        waiters.add(new Waiter(done, f));
        f.whenComplete((s, e) -> waiters.removeIf(w -> w.future() == f));
        return f;
    }

    private void passSafely() {
        try {
            pass();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "placement pass failed (retried): " + e);
        }
    }

    private void pass() throws Exception {
        Status s = loop.status(ShardGroups.META_GROUP);
        long now = clock.nanoTime();
        if (s == null || s.role() != Role.LEADER) {
            leading = false;
            return;
        }
        if (!leading) {
            leaderSinceNanos = now;
            lastSeenNanos.clear();
        }
        Snapshot snap = read();
        current = snap;
        leading = true;
        for (Waiter w : waiters) {
            if (w.done().test(snap)) {
                w.future().complete(snap);
            }
        }
        List<MemberInfo> next = decide(snap, now);
        if (next == null) {
            return;
        }
        Membership value = new Snapshot(0, next).toProto();
        Result r = loop.propose(ShardGroups.META_GROUP, 0, 0, new Command.CompareAndSet(MEMBERSHIP_KEY, snap.epoch,
                Bytes.wrap(value.toByteArray()), 0)).get(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        if (r instanceof Result.Written w) {
            LOG.log(System.Logger.Level.INFO, "membership epoch {0}: {1}", w.version(), describe(next));
        }
    }

    private Snapshot read() throws Exception {
        Optional<KeyValue> kv = loop.readLinearizable(ShardGroups.META_GROUP,
                sm -> sm.get(MEMBERSHIP_KEY, clock.epochMillis())).get(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        if (kv.isEmpty()) {
            return new Snapshot(0, List.of());
        }
        List<MemberInfo> members = new ArrayList<>();
        Membership.parseFrom(kv.get().value().toArray()).getMembersList().forEach(m -> members.add(MemberCodec.fromProto(m)));
        return new Snapshot(kv.get().version(), List.copyOf(members));
    }

    /** The next membership, or null when nothing changes; see {@link MembershipPolicy}. */
    private List<MemberInfo> decide(Snapshot snap, long now) {
        // Requests the stored membership already shows are done.
        joins.values().removeIf(j -> MembershipPolicy.isUpAt(snap.member(j.id()).orElse(null), j.address()));
        leaves.keySet().removeIf(id -> snap.member(id).map(m -> m.state() == MemberInfo.State.LEAVING
                || m.state() == MemberInfo.State.REMOVED).orElse(snap.epoch() > 0));
        MembershipPolicy.Liveness liveness = new MembershipPolicy.Liveness() {
            @Override
            public long silentMillis(NodeId node) {
                long seen = Math.max(lastSeenNanos.getOrDefault(node, leaderSinceNanos), leaderSinceNanos);
                return TimeUnit.NANOSECONDS.toMillis(now - seen);
            }

            @Override
            public boolean heardRecently(NodeId node) {
                return lastSeenNanos.containsKey(node) && silentMillis(node) < ALIVE_AGAIN_MILLIS;
            }

            @Override
            public boolean holdsNothing(NodeId node) {
                return PlacementDriver.this.holdsNothing(node, now);
            }
        };
        return MembershipPolicy.next(snap.members(), Topology.foundingMembers(config.initialCluster().addresses()),
                List.copyOf(joins.values()), List.copyOf(leaves.keySet()), liveness, config.deadNodeTimeoutMillis())
                .orElse(null);
    }

    /** Whether a fresh report of every shard's leader leaves {@code id} out of its group. */
    private boolean holdsNothing(NodeId id, long now) {
        if (reports.size() < config.shards()) {
            return false;
        }
        for (TimedReport t : reports.values()) {
            ShardReport r = t.report();
            if (TimeUnit.NANOSECONDS.toMillis(now - t.receivedNanos()) > REPORT_FRESH_MILLIS
                    || r.getVotersList().contains(id.value()) || r.getVotersOutgoingList().contains(id.value())
                    || r.getLearnersList().contains(id.value())) {
                return false;
            }
        }
        return true;
    }

    private static String describe(List<MemberInfo> members) {
        StringBuilder sb = new StringBuilder();
        for (MemberInfo m : members) {
            sb.append(sb.length() == 0 ? "" : ", ").append(m.id()).append(' ').append(m.state().name().toLowerCase());
        }
        return sb.toString();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
