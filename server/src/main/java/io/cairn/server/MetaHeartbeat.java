package io.cairn.server;

import io.cairn.api.proto.ClusterGrpc;
import io.cairn.api.proto.NodeHeartbeatRequest;
import io.cairn.api.proto.NodeHeartbeatResponse;
import io.cairn.api.proto.ShardReport;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.placement.ConfTenure;
import io.cairn.placement.MemberInfo;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.MetaContact;
import io.cairn.placement.Topology;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Every node, once a second: tells the metadata leader it is alive and what the shards it leads
 * look like, and installs the membership (and so the placement) it gets back into the
 * {@link ClusterMap}. It tries the metadata replicas of the current placement, then those the
 * founders' list names, and follows the leader's address when a replica that does not lead
 * answers.
 */
final class MetaHeartbeat implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MetaHeartbeat.class.getName());
    static final long INTERVAL_MILLIS = 1_000;
    private static final long DEADLINE_MILLIS = 2_000;

    private final ServerConfig config;
    private final RaftLoop loop;
    private final ClusterMap map;
    private final List<NodeId> founderMetaVoters;
    private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final PeerChannels peers;
    /** Heartbeat thread only. */
    private final ConfTenure tenure = new ConfTenure();
    private final ScheduledExecutorService executor;
    private String target;
    private long lastServedNanos = System.nanoTime();
    private int nextCandidate;

    private final FaultInjection faults;
    /** Told once, with the reason, when the metadata leader refuses this node; the node stops. */
    private final java.util.function.Consumer<String> onRefused;
    private boolean refused;

    MetaHeartbeat(ServerConfig config, RaftLoop loop, ClusterMap map, FaultInjection faults,
                  java.util.function.Consumer<String> onRefused, PeerChannels peers) {
        this.peers = peers;
        this.faults = faults;
        this.onRefused = onRefused;
        this.config = config;
        this.loop = loop;
        this.map = map;
        this.founderMetaVoters = Topology.metaVoters(config.initialCluster().addresses());
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "meta-heartbeat");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        executor.scheduleWithFixedDelay(this::beatSafely, 0, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void beatSafely() {
        try {
            beat();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "heartbeat to " + target + " failed: " + e);
            target = null;
        }
    }

    private void beat() {
        if (refused) {
            return;
        }
        if (target == null) {
            List<String> candidates = metaAddresses();
            target = candidates.get(nextCandidate++ % candidates.size());
        }
        NodeHeartbeatResponse resp = ClusterGrpc.newBlockingStub(faults.peerChannel(channel(target), target))
                .withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                .heartbeat(request());
        if (!resp.getRefused().isEmpty()) {
            refused = true;
            onRefused.accept(resp.getRefused());
            return;
        }
        if (resp.getServed()) {
            lastServedNanos = System.nanoTime();
            map.updateReports(resp.getShardsList(), resp.hasMeta() ? resp.getMeta() : null);
        } else {
            target = resp.getMetaLeaderAddress().isEmpty() ? null : resp.getMetaLeaderAddress();
        }
        // A newer membership installs whoever passes it on: every version was read from the
        // metadata group, and epochs only grow.
        if (resp.getEpoch() <= map.current().epoch || resp.getMembership().getMembersCount() == 0) {
            return;
        }
        List<MemberInfo> members = new ArrayList<>();
        resp.getMembership().getMembersList().forEach(m -> members.add(MemberCodec.fromProto(m)));
        Topology next = Topology.derive(resp.getEpoch(), members, config.shards());
        if (map.update(next)) {
            LOG.log(System.Logger.Level.INFO, "{0}: placement of epoch {1}: {2} of {3} shards here",
                    config.nodeId(), next.epoch, next.groupsOf(config.nodeId()).size(), next.shardCount());
        }
    }

    /** Where to look for the metadata group's leader ({@link MetaContact}), as addresses. */
    private List<String> metaAddresses() {
        Topology t = map.current();
        long silentMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastServedNanos);
        java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
        for (NodeId id : MetaContact.targets(t, founderMetaVoters, silentMillis, INTERVAL_MILLIS)) {
            // A founder is reachable at its founding address even before any membership names it.
            String a = t.address(id).isEmpty() && config.initialCluster().contains(id)
                    ? config.initialCluster().address(id) : t.address(id);
            if (!a.isEmpty()) {
                out.add(a);
            }
        }
        return List.copyOf(out);
    }

    private NodeHeartbeatRequest request() {
        NodeHeartbeatRequest.Builder b = NodeHeartbeatRequest.newBuilder().setNodeId(config.nodeId().value())
                .setAddress(config.listenAddress()).setJoin(config.join()).setParams(MemberCodec.toProto(config.params()))
                .setEpoch(map.current().epoch);
        List<GroupId> led = new ArrayList<>();
        long nowMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
        for (GroupId g : loop.hostedGroups()) {
            Status s = loop.status(g);
            if (g.equals(ShardGroups.META_GROUP) || s == null || s.role() != Role.LEADER) {
                continue;
            }
            led.add(g);
            ShardReport.Builder r = ShardReport.newBuilder().setShard(ShardGroups.shardOfGroup(g))
                    .setLeader(config.nodeId().value()).setTerm(s.term()).setAppliedIndex(s.appliedIndex())
                    .setSizeBytes(loop.sizeBytes(g))
                    .setConfAgeMs(tenure.observe(g, s.term(), s.conf(), nowMillis));
            s.conf().voters().forEach(n -> r.addVoters(n.value()));
            s.conf().votersOutgoing().forEach(n -> r.addVotersOutgoing(n.value()));
            s.conf().learners().forEach(n -> r.addLearners(n.value()));
            b.addLed(r);
        }
        tenure.retainOnly(led);
        return b.build();
    }

    private ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, a -> peers.open(a));
    }

    @Override
    public void close() {
        executor.shutdownNow();
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
