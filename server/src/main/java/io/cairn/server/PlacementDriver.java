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
import io.cairn.consensus.ConfState;
import io.cairn.placement.Admission;
import io.cairn.placement.DriverLedger;
import io.cairn.placement.MemberInfo;
import io.cairn.placement.ReplicaReconciler;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
 * One change per pass, twice a second. What the driver remembers between passes and the
 * decision it takes are {@link DriverLedger}'s, the same code the simulator runs. Liveness is
 * soft state: a new metadata leader starts every node's clock afresh, so a failover never
 * declares anyone dead early.
 */
final class PlacementDriver implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PlacementDriver.class.getName());
    static final Bytes MEMBERSHIP_KEY = Bytes.utf8("cluster/membership");
    private static final long PASS_INTERVAL_MILLIS = 500;
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

    private final RaftLoop loop;
    private final ServerConfig config;
    private final Clock clock;
    /** Liveness, reports, joins and leaves (soft state); guarded by itself (heartbeats arrive on gRPC threads). */
    /** This node's installed placement: its epoch goes with the metadata group's own report. */
    private final ClusterMap map;
    private final DriverLedger<ShardReport> ledger = new DriverLedger<>(MetaHeartbeat.INTERVAL_MILLIS,
            ShardReport::getTerm, PlacementDriver::confOf);
    private final CopyOnWriteArrayList<Waiter> waiters = new CopyOnWriteArrayList<>();
    /** How long this node has led the metadata group with its configuration; guarded by itself. */
    private final io.cairn.placement.ConfTenure metaTenure = new io.cairn.placement.ConfTenure();
    private final ScheduledExecutorService executor;
    private volatile Snapshot current = new Snapshot(0, List.of());
    private volatile boolean leading;

    PlacementDriver(RaftLoop loop, ServerConfig config, Clock clock, ClusterMap map) {
        this.map = map;
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
        long nowMillis = TimeUnit.NANOSECONDS.toMillis(now);
        NodeId from = NodeId.of(req.getNodeId());
        Snapshot snap = current;
        List<DriverLedger.GroupReport<ShardReport>> led = new ArrayList<>();
        req.getLedList().forEach(r -> led.add(new DriverLedger.GroupReport<>(ShardGroups.groupOfShard(r.getShard()), r)));
        List<ShardReport> fresh;
        synchronized (ledger) {
            ledger.heard(from, nowMillis, led, req.getJoin(), req.getAddress(), req.getEpoch());
            // Only fresh reports: a replica that reads its removal in a dead leader's last report
            // would wipe a vote its group may still need (see ReplicaLifecycle).
            fresh = ledger.freshReports(nowMillis);
        }
        NodeHeartbeatResponse.Builder b = NodeHeartbeatResponse.newBuilder().setServed(true)
                .setEpoch(snap.epoch).setMembership(snap.toProto());
        metaReport(now).ifPresent(b::setMeta);
        fresh.forEach(b::addShards);
        return b.build();
    }

    /** Every member with its state and the shards it holds and leads, by fresh reports. */
    io.cairn.api.proto.MembersResponse membersView() {
        long nowMillis = TimeUnit.NANOSECONDS.toMillis(clock.nanoTime());
        Snapshot snap = current;
        List<ShardReport> fresh;
        java.util.TreeMap<NodeId, Boolean> heard = new java.util.TreeMap<>();
        synchronized (ledger) {
            fresh = ledger.freshReports(nowMillis);
            snap.members().forEach(m -> heard.put(m.id(), ledger.heardRecently(m.id(), nowMillis)));
        }
        java.util.TreeMap<Long, Integer> replicas = new java.util.TreeMap<>();
        java.util.TreeMap<Long, Integer> leads = new java.util.TreeMap<>();
        for (ShardReport r : fresh) {
            confOf(r).members().forEach(n -> replicas.merge(n.value(), 1, Integer::sum));
            leads.merge(r.getLeader(), 1, Integer::sum);
        }
        io.cairn.api.proto.MembersResponse.Builder b = io.cairn.api.proto.MembersResponse.newBuilder()
                .setEpoch(snap.epoch()).setShardCount(config.shards())
                .setShardsUnreported(Math.max(0, config.shards() - fresh.size()));
        for (MemberInfo m : snap.members()) {
            b.addMembers(io.cairn.api.proto.MemberView.newBuilder().setMember(MemberCodec.toProto(m))
                    .setReplicas(replicas.getOrDefault(m.id().value(), 0)).setLeads(leads.getOrDefault(m.id().value(), 0))
                    .setHeardRecently(heard.getOrDefault(m.id(), false)));
        }
        return b.build();
    }

    /** The metadata group as this node, its leader, sees it now; empty when it does not lead it. */
    private Optional<ShardReport> metaReport(long nowNanos) {
        Status meta = loop.status(ShardGroups.META_GROUP);
        if (meta == null || meta.role() != Role.LEADER) {
            return Optional.empty();
        }
        long age;
        synchronized (metaTenure) {
            age = metaTenure.observe(ShardGroups.META_GROUP, meta.term(), meta.conf(), TimeUnit.NANOSECONDS.toMillis(nowNanos));
        }
        ShardReport.Builder r = ShardReport.newBuilder().setLeader(config.nodeId().value()).setTerm(meta.term())
                .setAppliedIndex(meta.appliedIndex()).setConfAgeMs(age);
        meta.conf().voters().forEach(n -> r.addVoters(n.value()));
        meta.conf().votersOutgoing().forEach(n -> r.addVotersOutgoing(n.value()));
        meta.conf().learners().forEach(n -> r.addLearners(n.value()));
        return Optional.of(r.build());
    }

    /** The membership last read from the metadata group. */
    List<MemberInfo> members() {
        return current.members();
    }

    /**
     * Registers a member; completes once the membership has it UP at the given address. Refused
     * at once, naming why, when {@link Admission#refuseJoin} says so.
     */
    CompletableFuture<Snapshot> addNode(MemberInfo member) {
        Optional<String> refused = Admission.refuseJoin(current.members(), member.id(), member.address());
        synchronized (ledger) {
            refused = refused.or(() -> ledger.refuseJoinOfRunning(member,
                    TimeUnit.NANOSECONDS.toMillis(clock.nanoTime())));
            if (refused.isEmpty()) {
                ledger.join(member);
            }
        }
        if (refused.isPresent()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(refused.get()));
        }
        return await(s -> s.member(member.id())
                .filter(m -> m.state() == MemberInfo.State.UP && m.address().equals(member.address())).isPresent());
    }

    /**
     * Asks to hand a DEAD member's id to a new machine, and answers at once with the membership
     * as it is: the change waits until every shard's replicas were rebuilt without the old
     * machine ({@link MembershipPolicy}), which can take minutes. The request is soft state, so a
     * caller that waits for it (the CLI's {@code --wait}) repeats it until the membership shows it.
     */
    CompletableFuture<Snapshot> replaceNode(MemberInfo member) {
        Optional<String> refused = Admission.refuseReplace(current.members(), member.id(), member.address());
        if (refused.isPresent()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(refused.get()));
        }
        synchronized (ledger) {
            ledger.replace(member);
        }
        return CompletableFuture.completedFuture(current);
    }

    /** Starts decommissioning a member; completes once it is LEAVING (or already REMOVED). */
    CompletableFuture<Snapshot> removeNode(NodeId id) {
        if (current.member(id).isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("n" + id.value() + " is not a member"));
        }
        synchronized (ledger) {
            ledger.leave(id);
        }
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
        boolean leads = s != null && s.role() == Role.LEADER;
        synchronized (ledger) {
            ledger.leads(leads, TimeUnit.NANOSECONDS.toMillis(now));
            // The metadata group counts like a shard when deciding that a node holds nothing.
            Optional<ShardReport> meta = metaReport(now);
            if (meta.isPresent()) {
                ledger.heard(config.nodeId(), TimeUnit.NANOSECONDS.toMillis(now),
                        List.of(new DriverLedger.GroupReport<>(ShardGroups.META_GROUP, meta.get())), false,
                        config.listenAddress(), map.current().epoch);
            }
        }
        if (!leads) {
            if (leading) {
                // The request goes on at the new metadata leader: tell the waiting callers now,
                // not at their timeout (the CLI retries elsewhere at once).
                for (Waiter w : waiters) {
                    w.future().completeExceptionally(new IllegalStateException(
                            "this node stopped leading the metadata group; ask again"));
                }
            }
            leading = false;
            return;
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

    /** The next membership, or null when nothing changes; see {@link DriverLedger#decide}. */
    private List<MemberInfo> decide(Snapshot snap, long now) {
        synchronized (ledger) {
            return ledger.decide(snap.epoch(), snap.members(), Topology.foundingMembers(config.initialCluster().addresses()),
                    TimeUnit.NANOSECONDS.toMillis(now), config.deadNodeTimeoutMillis(), config.shards()).orElse(null);
        }
    }

    /** The configuration a shard leader's report names. */
    static ConfState confOf(ShardReport report) {
        return new ConfState(nodes(report.getVotersList()), nodes(report.getVotersOutgoingList()),
                nodes(report.getLearnersList()));
    }

    private static java.util.TreeSet<NodeId> nodes(List<Long> ids) {
        java.util.TreeSet<NodeId> out = new java.util.TreeSet<>();
        ids.forEach(id -> out.add(NodeId.of(id)));
        return out;
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
