package io.cairn.server;

import io.cairn.api.proto.ClusterGrpc;
import io.cairn.api.proto.NodeStatus;
import io.cairn.api.proto.Role;
import io.cairn.api.proto.ShardView;
import io.cairn.api.proto.ShardsRequest;
import io.cairn.api.proto.ShardsResponse;
import io.cairn.api.proto.StatusRequest;
import io.cairn.api.proto.StatusResponse;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.Status;
import io.grpc.stub.StreamObserver;
import java.util.Map;

/**
 * This node's view of the cluster: its own role and indexes in full, and every other member it
 * knows with its address only, so a tool can ask each of them in turn.
 */
final class ClusterService extends ClusterGrpc.ClusterImplBase {
    private final RaftLoop loop;
    private final Topology topology;
    private final ServerConfig config;

    ClusterService(RaftLoop loop, Topology topology, ServerConfig config) {
        this.loop = loop;
        this.topology = topology;
        this.config = config;
    }

    @Override
    public void shards(ShardsRequest req, StreamObserver<ShardsResponse> out) {
        ShardsResponse.Builder b = ShardsResponse.newBuilder()
                .setNodeId(config.nodeId().value()).setShardCount(topology.shardCount());
        for (GroupId group : topology.allGroups()) {
            int shard = ServerIds.shardOfGroup(group);
            ShardView.Builder v = ShardView.newBuilder().setShard(shard)
                    .setFirstSlot(topology.firstSlot(shard)).setEndSlotExclusive(topology.endSlotExclusive(shard));
            topology.replicasOf(group).forEach(id -> v.addReplicas(id.value()));
            Status s = loop.status(group);
            if (s != null) {
                v.setHosted(true).setRole(roleOf(s.role())).setLeader(s.leader() == null ? 0 : s.leader().value())
                        .setTerm(s.term()).setCommitIndex(s.commitIndex()).setAppliedIndex(s.appliedIndex())
                        .setSizeBytes(loop.sizeBytes(group));
            }
            b.addShards(v);
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void status(StatusRequest req, StreamObserver<StatusResponse> out) {
        Status s = loop.status(ServerIds.DATA_GROUP);
        StatusResponse.Builder b = StatusResponse.newBuilder()
                .setGroupId(ServerIds.DATA_GROUP.value())
                .setLeader(s.leader() == null ? 0 : s.leader().value())
                .setTerm(s.term());
        for (Map.Entry<NodeId, String> m : config.initialCluster().addresses().entrySet()) {
            NodeStatus.Builder n = NodeStatus.newBuilder().setId(m.getKey().value()).setAddress(m.getValue());
            if (m.getKey().equals(s.id())) {
                n.setRole(roleOf(s.role())).setTerm(s.term())
                        .setCommitIndex(s.commitIndex()).setAppliedIndex(s.appliedIndex());
            }
            b.addNodes(n);
        }
        out.onNext(b.build());
        out.onCompleted();
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
