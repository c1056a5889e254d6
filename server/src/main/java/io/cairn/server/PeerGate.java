package io.cairn.server;

import io.cairn.common.NodeId;
import io.cairn.placement.MemberInfo;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Who may speak Raft to this node: a peer of the same cluster (same founders, shard count and
 * release, compared through the cluster id every peer stream carries) that was not removed.
 * Without it, a node started with another {@code --shards} would vote in groups that mean other
 * key ranges to it, and a removed node would be counted by groups that forgot it.
 */
final class PeerGate implements ServerInterceptor {
    private static final System.Logger LOG = System.getLogger(PeerGate.class.getName());
    static final Metadata.Key<String> CLUSTER_HEADER = Metadata.Key.of("cairn-cluster", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> NODE_HEADER = Metadata.Key.of("cairn-node", Metadata.ASCII_STRING_MARSHALLER);
    private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final String clusterId;
    private final ClusterMap map;
    private final ConcurrentHashMap<String, Long> lastWarnedNanos = new ConcurrentHashMap<>();

    PeerGate(String clusterId, ClusterMap map) {
        this.clusterId = clusterId;
        this.map = map;
    }

    /** What a sender adds to every peer stream it opens. */
    static ClientInterceptor headers(String clusterId, NodeId self) {
        Metadata m = new Metadata();
        m.put(CLUSTER_HEADER, clusterId);
        m.put(NODE_HEADER, Long.toString(self.value()));
        return MetadataUtils.newAttachHeadersInterceptor(m);
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        String refused = refusal(headers.get(CLUSTER_HEADER), headers.get(NODE_HEADER));
        if (refused == null) {
            return next.startCall(call, headers);
        }
        String peer = String.valueOf(headers.get(NODE_HEADER));
        long now = System.nanoTime();
        Long last = lastWarnedNanos.get(peer);
        if (last == null || now - last > WARN_EVERY_NANOS) {
            lastWarnedNanos.put(peer, now);
            LOG.log(System.Logger.Level.WARNING, "refusing Raft messages from n{0}: {1}", peer, refused);
        }
        call.close(Status.FAILED_PRECONDITION.withDescription(refused), new Metadata());
        return new ServerCall.Listener<>() {};
    }

    private String refusal(String cluster, String node) {
        if (cluster == null || node == null) {
            return "the peer stream names no cluster or node (another release?)";
        }
        if (!cluster.equals(clusterId)) {
            return "it belongs to cluster " + cluster + ", this node to " + clusterId
                    + " (different --initial-cluster or --shards)";
        }
        long id;
        try {
            id = Long.parseLong(node);
        } catch (NumberFormatException e) {
            return "malformed node id " + node;
        }
        MemberInfo m = id < 1 ? null : map.current().members().get(NodeId.of(id));
        if (m != null && m.state() == MemberInfo.State.REMOVED) {
            return "n" + id + " was removed from the cluster";
        }
        return null;
    }
}
