package io.cairn.server;

import io.cairn.api.proto.CheckJoinRequest;
import io.cairn.api.proto.CheckJoinResponse;
import io.cairn.api.proto.ClusterGrpc;
import io.cairn.common.NodeId;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A node started with {@code --join} on an empty data dir asks the founders whether it may join
 * before it writes anything there: a refusal (another shard count, founders' list or release; an
 * id that is taken or was removed) then leaves the directory as it was, so the operator can fix
 * the command and run it again. The metadata leader checks again when the join arrives.
 */
final class JoinCheck {
    private static final System.Logger LOG = System.getLogger(JoinCheck.class.getName());
    static final long WAIT_MILLIS_DEFAULT = 30_000;
    private static final long ATTEMPT_MILLIS = 2_000;
    private static final long PAUSE_MILLIS = 500;

    private JoinCheck() {}

    /**
     * Returns once a founder said yes; throws IllegalStateException naming the reason when one
     * said no, or when none answered within {@code waitMillis}.
     */
    static void verify(ServerConfig config, PeerChannels peers, long waitMillis) throws InterruptedException {
        CheckJoinRequest req = CheckJoinRequest.newBuilder().setNodeId(config.nodeId().value())
                .setAddress(config.listenAddress()).setParams(MemberCodec.toProto(config.params())).build();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        String lastError = "";
        boolean told = false;
        while (true) {
            for (Map.Entry<NodeId, String> founder : config.initialCluster().addresses().entrySet()) {
                ManagedChannel channel = peers.open(founder.getValue());
                try {
                    CheckJoinResponse resp = ClusterGrpc.newBlockingStub(channel)
                            .withDeadlineAfter(ATTEMPT_MILLIS, TimeUnit.MILLISECONDS).checkJoin(req);
                    if (!resp.getRefused().isEmpty()) {
                        throw new IllegalStateException(config.nodeId() + " may not join (" + founder.getKey()
                                + " refused): " + resp.getRefused() + "; nothing was written to " + config.dataDir());
                    }
                    return;
                } catch (StatusRuntimeException e) {
                    lastError = founder.getKey() + " at " + founder.getValue() + ": " + e.getStatus().getCode();
                } finally {
                    channel.shutdownNow();
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no founder answered (" + config.initialCluster() + "; last: " + lastError
                        + "); start the cluster first, or check --initial-cluster");
            }
            if (!told) {
                LOG.log(System.Logger.Level.INFO, "{0}: waiting for a founder to answer ({1})", config.nodeId(), lastError);
                told = true;
            }
            Thread.sleep(PAUSE_MILLIS);
        }
    }
}
