package io.cairn.server;

import io.cairn.api.proto.WatchGrpc;
import io.cairn.api.proto.WatchRequest;
import io.cairn.api.proto.WatchResponse;
import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.kv.state.KeyRange;
import io.cairn.kv.state.WatchEvent;
import io.cairn.kv.state.WatchHub;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import io.cairn.transport.grpc.GrpcErrors;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;

/**
 * The Watch service: a stream of one shard's changes from the replica of that shard on this
 * node, leader or follower ({@link WatchHub}). A node without a replica answers WRONG_SHARD
 * with a replica to ask instead.
 */
final class WatchService extends WatchGrpc.WatchImplBase {
    private final RaftLoop loop;
    private final ClusterMap map;
    private final ServerConfig config;

    WatchService(RaftLoop loop, ClusterMap map, ServerConfig config) {
        this.loop = loop;
        this.map = map;
        this.config = config;
    }

    @Override
    public void watch(WatchRequest req, StreamObserver<WatchResponse> out) {
        Topology t = map.current();
        if (req.getShard() >= t.shardCount()) {
            out.onError(GrpcErrors.invalidArgument("shard", t.shardCount() - 1L, req.getShard()));
            return;
        }
        KeyRange range;
        try {
            range = rangeOf(req);
        } catch (IllegalArgumentException e) {
            out.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        GroupId group = ShardGroups.groupOfShard(req.getShard());
        WatchHub hub = loop.watches(group);
        if (hub == null) {
            out.onError(wrongShard(t, group));
            return;
        }
        ServerCallStreamObserver<WatchResponse> call = (ServerCallStreamObserver<WatchResponse>) out;
        int shard = req.getShard();
        WatchHub.Sink sink = new WatchHub.Sink() {
            @Override
            public boolean send(List<WatchEvent> events, long progressRevision) {
                if (call.isCancelled()) {
                    return true; // nobody listens: drop, the cancel handler unregisters
                }
                if (!call.isReady()) {
                    return false;
                }
                WatchResponse.Builder b = WatchResponse.newBuilder().setShard(shard).setProgressRevision(progressRevision)
                        .setServedBy(config.nodeId().value()).setOldestRevision(hub.oldestRevision());
                events.forEach(e -> b.addEvents(toProto(e)));
                call.onNext(b.build());
                return true;
            }

            @Override
            public void cancelled(String reason, long nextRevision, boolean tooSlow) {
                if (!call.isCancelled()) {
                    call.onError(GrpcErrors.watchCancelled(reason, nextRevision, tooSlow));
                }
            }
        };
        WatchHub.Watcher watcher;
        try {
            watcher = hub.watch(range, req.getStartRevision(), sink);
        } catch (WatchHub.CompactedException e) {
            out.onError(GrpcErrors.compacted(e.getMessage(), e.requested, e.oldest));
            return;
        } catch (WatchHub.NotServingException e) {
            out.onError(wrongShard(t, group));
            return;
        }
        call.setOnCancelHandler(watcher::cancel);
        call.setOnReadyHandler(hub::wake);
        // The first answer comes at once, so the watcher knows the stream is open and from where.
        hub.progress();
    }

    /** No replica here that serves: a replica the placement names instead, not this node. */
    private io.grpc.StatusRuntimeException wrongShard(Topology t, GroupId group) {
        NodeId hint = t.replicasOf(group).stream().filter(n -> !n.equals(config.nodeId())).findFirst().orElse(null);
        return GrpcErrors.wrongShard(t.epoch, group.value(), ShardGroups.describe(group), hint,
                hint == null ? "" : t.address(hint));
    }

    static KeyRange rangeOf(WatchRequest req) {
        Bytes key = Bytes.wrap(req.getKey().toByteArray());
        if (req.getPrefix()) {
            return key.size() == 0 ? KeyRange.all() : KeyRange.prefix(key);
        }
        if (!req.getRangeEnd().isEmpty()) {
            return new KeyRange(key, Bytes.wrap(req.getRangeEnd().toByteArray()));
        }
        if (key.size() == 0) {
            throw new IllegalArgumentException("a watch needs a key, a range or a prefix");
        }
        byte[] next = java.util.Arrays.copyOf(req.getKey().toByteArray(), key.size() + 1);
        return new KeyRange(key, Bytes.wrap(next));
    }

    static io.cairn.api.proto.WatchEvent toProto(WatchEvent e) {
        io.cairn.api.proto.WatchEvent.Builder b = io.cairn.api.proto.WatchEvent.newBuilder()
                .setRevision(e.revision()).setKey(com.google.protobuf.ByteString.copyFrom(e.key().toArray()));
        switch (e.type()) {
            case PUT -> b.setType(io.cairn.api.proto.WatchEvent.Type.PUT)
                    .setKv(io.cairn.api.proto.KeyValue.newBuilder()
                            .setKey(com.google.protobuf.ByteString.copyFrom(e.kv().key().toArray()))
                            .setValue(com.google.protobuf.ByteString.copyFrom(e.kv().value().toArray()))
                            .setCreateRevision(e.kv().createRevision()).setModRevision(e.kv().modRevision())
                            .setVersion(e.kv().version()));
            case DELETE -> b.setType(io.cairn.api.proto.WatchEvent.Type.DELETE);
            case EXPIRE -> b.setType(io.cairn.api.proto.WatchEvent.Type.EXPIRE);
        }
        return b.build();
    }
}
