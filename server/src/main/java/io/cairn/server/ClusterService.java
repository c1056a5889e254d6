package io.cairn.server;

import io.cairn.api.proto.AddNodeRequest;
import io.cairn.api.proto.CheckJoinRequest;
import io.cairn.api.proto.CheckJoinResponse;
import io.cairn.api.proto.ClusterGrpc;
import io.cairn.api.proto.MembershipResponse;
import io.cairn.api.proto.NodeHeartbeatRequest;
import io.cairn.api.proto.NodeHeartbeatResponse;
import io.cairn.api.proto.NodeStatus;
import io.cairn.api.proto.RemoveNodeRequest;
import io.cairn.api.proto.Role;
import io.cairn.api.proto.ShardReport;
import io.cairn.api.proto.ShardView;
import io.cairn.api.proto.ShardsRequest;
import io.cairn.api.proto.ShardsResponse;
import io.cairn.api.proto.StatusRequest;
import io.cairn.api.proto.StatusResponse;
import io.cairn.api.proto.TransferLeaderRequest;
import io.cairn.api.proto.TransferLeaderResponse;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.Status;
import io.cairn.placement.Admission;
import io.cairn.placement.MemberInfo;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import io.cairn.transport.grpc.GrpcErrors;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * This node's view of the cluster: its own role and indexes in full, and every other member it
 * knows with its address only, so a tool can ask each of them in turn; and, on the metadata
 * group's replicas, the control plane's RPCs (heartbeats, adding and removing nodes).
 */
final class ClusterService extends ClusterGrpc.ClusterImplBase {
    private static final System.Logger LOG = System.getLogger(ClusterService.class.getName());
    private final RaftLoop loop;
    private final ClusterMap map;
    private final ServerConfig config;
    /** Null on nodes without a metadata replica, and in a single-shard cluster. */
    private final PlacementDriver driver;

    /** Where this node serves HTTP, once it does; empty when it does not. */
    private final java.util.function.Supplier<String> httpAddress;

    ClusterService(RaftLoop loop, ClusterMap map, ServerConfig config, PlacementDriver driver,
                   java.util.function.Supplier<String> httpAddress) {
        this.httpAddress = httpAddress;
        this.loop = loop;
        this.map = map;
        this.config = config;
        this.driver = driver;
    }

    @Override
    public void shards(ShardsRequest req, StreamObserver<ShardsResponse> out) {
        Topology topology = map.current();
        ShardsResponse.Builder b = ShardsResponse.newBuilder().setNodeId(config.nodeId().value())
                .setShardCount(topology.shardCount()).setEpoch(topology.epoch);
        for (GroupId group : topology.allGroups()) {
            int shard = ShardGroups.shardOfGroup(group);
            ShardView.Builder v = ShardView.newBuilder().setShard(shard)
                    .setFirstSlot(topology.firstSlot(shard)).setEndSlotExclusive(topology.endSlotExclusive(shard));
            replicasOf(topology, group).forEach(v::addReplicas);
            Status s = loop.status(group);
            if (s != null) {
                v.setHosted(true).setRole(roleOf(s.role())).setLeader(s.leader() == null ? 0 : s.leader().value())
                        .setTerm(s.term()).setCommitIndex(s.commitIndex()).setAppliedIndex(s.appliedIndex())
                        .setSizeBytes(loop.sizeBytes(group));
            } else {
                // No replica here: the shard's leader as it last reported itself to the metadata
                // leader (about once a second), rather than "no leader, term 0".
                reportOf(shard).ifPresent(r -> v.setRole(Role.ROLE_NONE).setLeader(r.getLeader()).setTerm(r.getTerm())
                        .setAppliedIndex(r.getAppliedIndex()).setSizeBytes(r.getSizeBytes()));
            }
            b.addShards(v);
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    private java.util.Optional<ShardReport> reportOf(int shard) {
        return map.reports().stream().filter(r -> r.getShard() == shard).findFirst();
    }

    /**
     * The shard's replicas as its leader last reported them (voters, then learners being built),
     * or the placement's target when no report has arrived yet.
     */
    private java.util.List<Long> replicasOf(Topology topology, GroupId group) {
        int shard = ShardGroups.shardOfGroup(group);
        Status s = loop.status(group);
        if (s != null && s.role() == io.cairn.consensus.Role.LEADER) {
            java.util.TreeSet<Long> ids = new java.util.TreeSet<>();
            s.conf().members().forEach(n -> ids.add(n.value()));
            return java.util.List.copyOf(ids);
        }
        for (ShardReport r : map.reports()) {
            if (r.getShard() == shard) {
                java.util.TreeSet<Long> ids = new java.util.TreeSet<>(r.getVotersList());
                ids.addAll(r.getVotersOutgoingList());
                ids.addAll(r.getLearnersList());
                return java.util.List.copyOf(ids);
            }
        }
        return topology.replicasOf(group).stream().map(NodeId::value).toList();
    }

    @Override
    public void status(StatusRequest req, StreamObserver<StatusResponse> out) {
        // A sharded cluster's status is its metadata group's; a single shard's is that group's.
        GroupId group = config.shards() == 1 ? ShardGroups.DATA_GROUP : ShardGroups.META_GROUP;
        Status s = loop.status(group);
        StatusResponse.Builder b = StatusResponse.newBuilder().setGroupId(group.value());
        if (s != null) {
            b.setLeader(s.leader() == null ? 0 : s.leader().value()).setTerm(s.term());
        }
        for (MemberInfo m : map.current().members().values()) {
            NodeStatus.Builder n = NodeStatus.newBuilder().setId(m.id().value()).setAddress(m.address());
            if (m.id().equals(config.nodeId())) {
                n.setHttpAddress(httpAddress.get());
            }
            if (s != null && m.id().equals(s.id())) {
                n.setRole(roleOf(s.role())).setTerm(s.term())
                        .setCommitIndex(s.commitIndex()).setAppliedIndex(s.appliedIndex());
            } else if (s == null && m.id().equals(config.nodeId())) {
                n.setRole(Role.ROLE_NONE);
            }
            b.addNodes(n);
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void heartbeat(NodeHeartbeatRequest req, StreamObserver<NodeHeartbeatResponse> out) {
        boolean serving = driver != null && driver.serving();
        Admission.HeartbeatVerdict verdict = Admission.answerHeartbeat(config.params(),
                MemberCodec.fromProto(req.getParams()), serving,
                serving ? driver.members() : map.current().members().values(), NodeId.of(Math.max(1, req.getNodeId())),
                req.getAddress());
        if (verdict instanceof Admission.HeartbeatVerdict.Ignore) {
            out.onNext(NodeHeartbeatResponse.newBuilder().setServed(false).build());
            out.onCompleted();
            return;
        }
        if (verdict instanceof Admission.HeartbeatVerdict.Refuse refuse) {
            LOG.log(System.Logger.Level.WARNING, "refused n{0} at {1}: {2}", req.getNodeId(), req.getAddress(), refuse.reason());
            out.onNext(NodeHeartbeatResponse.newBuilder().setServed(serving).setRefused(refuse.reason()).build());
            out.onCompleted();
            return;
        }
        if (serving) {
            out.onNext(driver.heartbeat(req));
        } else {
            // Not the metadata leader: say where it is if known, and pass on the newest membership
            // this node knows, so a node whose view is too old to find the metadata group catches up.
            Topology t = map.current();
            io.cairn.api.proto.Membership.Builder m = io.cairn.api.proto.Membership.newBuilder();
            t.members().values().forEach(member -> m.addMembers(MemberCodec.toProto(member)));
            out.onNext(NodeHeartbeatResponse.newBuilder().setServed(false).setMetaLeaderAddress(metaLeaderAddress())
                    .setEpoch(t.epoch).setMembership(t.epoch > 0 ? m.build() : io.cairn.api.proto.Membership.getDefaultInstance())
                    .build());
        }
        out.onCompleted();
    }

    @Override
    public void addNode(AddNodeRequest req, StreamObserver<MembershipResponse> out) {
        MemberInfo member = memberOf(req, out);
        if (member != null && !notMetaLeader(out)) {
            answer(driver.addNode(member), out);
        }
    }

    @Override
    public void replaceNode(AddNodeRequest req, StreamObserver<MembershipResponse> out) {
        MemberInfo member = memberOf(req, out);
        if (member != null && !notMetaLeader(out)) {
            answer(driver.replaceNode(member), out);
        }
    }

    /** The member a request names, UP at its address; null (and INVALID_ARGUMENT sent) when malformed. */
    private static MemberInfo memberOf(AddNodeRequest req, StreamObserver<?> out) {
        try {
            return new MemberInfo(ClusterSpec.parseName("n" + req.getId()), ClusterSpec.parseAddress(req.getAddress()),
                    req.getZone(), MemberInfo.State.UP);
        } catch (IllegalArgumentException e) {
            out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return null;
        }
    }

    @Override
    public void members(io.cairn.api.proto.MembersRequest req, StreamObserver<io.cairn.api.proto.MembersResponse> out) {
        if (notMetaLeader(out)) {
            return;
        }
        out.onNext(driver.membersView());
        out.onCompleted();
    }

    /**
     * Answered by any member from its own settings and its view of the membership: a node about
     * to join asks before it writes its data dir. The metadata leader checks again when the join
     * arrives, against the stored membership.
     */
    @Override
    public void checkJoin(CheckJoinRequest req, StreamObserver<CheckJoinResponse> out) {
        Topology t = map.current();
        java.util.Optional<String> refused = Admission.paramsDiffer(config.params(), MemberCodec.fromProto(req.getParams()));
        if (refused.isEmpty() && req.getNodeId() > 0) {
            refused = Admission.refuseJoin(t.members().values(), NodeId.of(req.getNodeId()), req.getAddress());
        }
        out.onNext(CheckJoinResponse.newBuilder().setRefused(refused.orElse("")).setEpoch(t.epoch).build());
        out.onCompleted();
    }

    @Override
    public void removeNode(RemoveNodeRequest req, StreamObserver<MembershipResponse> out) {
        if (notMetaLeader(out)) {
            return;
        }
        answer(driver.removeNode(NodeId.of(req.getId())), out);
    }

    @Override
    public void transferLeader(TransferLeaderRequest req, StreamObserver<TransferLeaderResponse> out) {
        GroupId group = new GroupId(req.getGroupId());
        NodeId target = NodeId.of(Math.max(1, req.getTargetId()));
        Status s = loop.status(group);
        if (s == null) {
            Topology t = map.current();
            boolean known = group.equals(ShardGroups.META_GROUP) || ShardGroups.shardOfGroup(group) < t.shardCount();
            if (!known) {
                out.onError(GrpcErrors.invalidArgument("group_id", t.shardCount(), req.getGroupId()));
                return;
            }
            NodeId hint = group.equals(ShardGroups.META_GROUP) || t.replicasOf(group).isEmpty() ? null : t.replicasOf(group).get(0);
            out.onError(GrpcErrors.wrongShard(t.epoch, group.value(), ShardGroups.describe(group), hint, hint == null ? "" : t.address(hint)));
            return;
        }
        if (s.role() != io.cairn.consensus.Role.LEADER) {
            out.onError(GrpcErrors.notLeader(s.leader(), s.leader() == null ? "" : map.current().address(s.leader())));
            return;
        }
        if (!s.conf().isVoter(target)) {
            out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(target + " is not a voter of "
                    + ShardGroups.describe(group) + " (" + s.conf() + ")").asRuntimeException());
            return;
        }
        loop.transferLeadership(group, target);
        long deadlineNanos = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(
                4L * config.electionTicks() * config.tickMillis());
        awaitLeader(group, target, deadlineNanos, out);
    }

    /** Answers once {@code target} leads {@code group} as this node sees it, or fails at the deadline. */
    private void awaitLeader(GroupId group, NodeId target, long deadlineNanos, StreamObserver<TransferLeaderResponse> out) {
        Status s = loop.status(group);
        if (s != null && target.equals(s.leader())) {
            out.onNext(TransferLeaderResponse.newBuilder().setLeaderId(target.value()).build());
            out.onCompleted();
            return;
        }
        if (System.nanoTime() > deadlineNanos) {
            out.onError(GrpcErrors.unavailable(target + " did not take over " + ShardGroups.describe(group) + " in time"));
            return;
        }
        CompletableFuture.delayedExecutor(20, java.util.concurrent.TimeUnit.MILLISECONDS)
                .execute(() -> awaitLeader(group, target, deadlineNanos, out));
    }

    private boolean notMetaLeader(StreamObserver<?> out) {
        if (config.shards() == 1) {
            out.onError(io.grpc.Status.FAILED_PRECONDITION.withDescription("membership changes need a sharded cluster"
                    + " (--shards > 1); this one is a single Raft group of its founders").asRuntimeException());
            return true;
        }
        if (driver != null && driver.serving()) {
            return false;
        }
        Status s = loop.status(ShardGroups.META_GROUP);
        NodeId leader = s == null ? null : s.leader();
        out.onError(GrpcErrors.notLeader(leader, leader == null ? "" : map.current().address(leader)));
        return true;
    }

    private static void answer(CompletableFuture<PlacementDriver.Snapshot> f, StreamObserver<MembershipResponse> out) {
        f.whenComplete((snap, err) -> {
            if (err == null) {
                out.onNext(MembershipResponse.newBuilder().setEpoch(snap.epoch()).setMembership(snap.toProto()).build());
                out.onCompleted();
                return;
            }
            Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            out.onError((cause instanceof IllegalArgumentException ? io.grpc.Status.INVALID_ARGUMENT
                    : io.grpc.Status.UNAVAILABLE).withDescription(String.valueOf(cause.getMessage())).asRuntimeException());
        });
    }

    /** The metadata leader's address as this node knows it, or "". */
    private String metaLeaderAddress() {
        Status s = loop.status(ShardGroups.META_GROUP);
        if (s == null || s.leader() == null) {
            return "";
        }
        String fromMap = map.current().address(s.leader());
        return fromMap.isEmpty() ? config.initialCluster().addresses().getOrDefault(s.leader(), "") : fromMap;
    }

    static Role roleOf(io.cairn.consensus.Role role) {
        return switch (role) {
            case FOLLOWER -> Role.ROLE_FOLLOWER;
            case PRE_CANDIDATE -> Role.ROLE_PRE_CANDIDATE;
            case CANDIDATE -> Role.ROLE_CANDIDATE;
            case LEADER -> Role.ROLE_LEADER;
        };
    }
}
