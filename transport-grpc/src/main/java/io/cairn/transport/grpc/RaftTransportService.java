package io.cairn.transport.grpc;

import io.cairn.api.proto.RaftBatch;
import io.cairn.api.proto.RaftEnvelope;
import io.cairn.api.proto.RaftTransportGrpc;
import io.cairn.api.proto.StreamAck;
import io.cairn.common.NodeId;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The receiving side of the peer transport: a gRPC service to register on the node's one
 * server, next to the client API. Each envelope of each batch is decoded and handed to the
 * {@link RaftInbox}; an envelope that is malformed, or addressed to another node (a peer with
 * a stale address book), is dropped and counted, and the stream goes on.
 */
public final class RaftTransportService extends RaftTransportGrpc.RaftTransportImplBase {
    /**
     * Largest inbound gRPC message the server must accept: one {@code RaftBatch}, which
     * {@link PeerTransport.Config#messageBytesMax()} (default 8 MiB) bounds, plus headroom.
     * gRPC's default (4 MiB) is too small for a large snapshot chunk or append.
     */
    public static final int INBOUND_MESSAGE_BYTES_MAX = (8 << 20) + (64 << 10);
    /** Clients ping idle streams this often ({@link PeerTransport}); the server must permit it. */
    public static final long KEEPALIVE_PERMIT_SECONDS = 10;

    private static final System.Logger LOG = System.getLogger(RaftTransportService.class.getName());

    private final NodeId local;
    private final RaftInbox inbox;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();

    /** Counters since start: envelopes handed to the inbox, and envelopes dropped. */
    public record Metrics(long received, long rejected) {}

    public RaftTransportService(NodeId local, RaftInbox inbox) {
        if (local == null || inbox == null) {
            throw new IllegalArgumentException("local node and inbox are required");
        }
        this.local = local;
        this.inbox = inbox;
    }

    /**
     * Applies the server settings the peer transport needs: an inbound message limit that fits
     * a batch, and permission for the senders' keepalive pings. The server is shared with the
     * client API, which checks its own, smaller, request limits at the edge.
     */
    public static NettyServerBuilder configure(NettyServerBuilder builder) {
        return builder.maxInboundMessageSize(INBOUND_MESSAGE_BYTES_MAX)
                .permitKeepAliveTime(KEEPALIVE_PERMIT_SECONDS, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(false);
    }

    public Metrics metrics() {
        return new Metrics(received.get(), rejected.get());
    }

    @Override
    public StreamObserver<RaftBatch> stream(StreamObserver<StreamAck> ack) {
        return new StreamObserver<>() {
            // One stream's calls are serialized by gRPC, so plain fields suffice.
            private long streamAccepted;
            private long streamRejected;

            @Override
            public void onNext(RaftBatch batch) {
                for (RaftEnvelope envelope : batch.getEnvelopesList()) {
                    if (accept(envelope)) {
                        streamAccepted++;
                    } else {
                        streamRejected++;
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
                // The sender went away or cancelled; it reconnects on its own. Nothing to answer.
            }

            @Override
            public void onCompleted() {
                ack.onNext(StreamAck.newBuilder().setEnvelopesAccepted(streamAccepted)
                        .setEnvelopesRejected(streamRejected).build());
                ack.onCompleted();
            }
        };
    }

    private boolean accept(RaftEnvelope envelope) {
        RaftCodec.Addressed decoded;
        try {
            decoded = RaftCodec.decode(envelope);
        } catch (IllegalArgumentException e) {
            reject("malformed envelope: " + e.getMessage());
            return false;
        }
        if (!decoded.message().to().equals(local)) {
            reject("message for " + decoded.message().to() + " reached " + local);
            return false;
        }
        inbox.deliver(decoded.group(), decoded.message());
        received.incrementAndGet();
        return true;
    }

    private void reject(String why) {
        // Log the first and then every 1024th, so a confused peer cannot flood the log.
        long n = rejected.incrementAndGet();
        if ((n & 1023) == 1) {
            LOG.log(Level.WARNING, "dropped Raft envelope #{0}: {1}", n, why);
        }
    }
}
