package io.cairn.transport.grpc;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.raft.RaftMessage;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The sending side of the peer transport: one node's Raft messages to its peers, for all the
 * groups it hosts. The receiving side is {@link RaftTransportService}.
 *
 * <p>{@link #send} never blocks: it puts the message on the peer's queue and returns. Each
 * peer has one long-lived client stream ({@code RaftTransport.Stream}) that a sender thread
 * feeds with {@code RaftBatch}es, in the order the messages were sent. Delivery is best effort,
 * which Raft tolerates: a message is dropped, and counted, when
 * <ul>
 *   <li>the peer's queue is full, by count ({@link Config#queueMessagesMax()}, default 8,192)
 *       or by bytes ({@link Config#queueBytesMax()}, default 64 MiB, measured with
 *       {@link RaftCodec#sizeUpperBoundBytes}): the peer or the network is slower than Raft;</li>
 *   <li>the peer's stream broke: what was queued for it is discarded, and messages sent during
 *       the back-off that follows are dropped, so a peer that comes back gets fresh messages
 *       rather than a backlog of stale ones (Raft resends what matters);</li>
 *   <li>its encoding exceeds {@link Config#messageBytesMax()} (default 8 MiB), which the
 *       receiving server accepts ({@link RaftTransportService#configure});</li>
 *   <li>the peer has no address, or the transport is closed.</li>
 * </ul>
 * Messages handed to a stream that then breaks are lost without a count: {@code sent} counts
 * messages written to a stream, not messages delivered.
 *
 * <p>Threads: {@link Config#senderThreads()} daemon threads, {@code cairn-raft-send-<node>-<n>},
 * shared by all peers, encode and write batches: at most one thread per peer at a time, and a
 * bounded number of batches per turn so a busy peer does not starve the others. A caller that
 * {@link #queue}s and then {@link #flush}es (the Raft loop) takes that turn itself when no
 * sender thread holds it, and the sender threads write only what the stream could not take
 * then. gRPC's Netty event loops do the socket I/O and run the stream callbacks, which only
 * signal. A broken stream is reopened on the next send after a back-off that
 * doubles from {@link Config#backoffInitialMs()} to {@link Config#backoffMaxMs()} and resets
 * once a stream is writable again.
 */
public final class PeerTransport implements AutoCloseable {
    /** Keepalive ping interval on idle peer streams; the server permits half of it. */
    static final long KEEPALIVE_SECONDS = 2 * RaftTransportService.KEEPALIVE_PERMIT_SECONDS;
    /** Time a TCP connect to a peer may take before the attempt counts as failed. */
    static final int CONNECT_TIMEOUT_MS = 3_000;

    /**
     * Limits and timings.
     *
     * @param queueMessagesMax messages queued per peer before sends to it are dropped
     * @param queueBytesMax bytes (upper-bound estimate) queued per peer before sends are dropped
     * @param batchMessagesMax messages per {@code RaftBatch}
     * @param batchBytesMax encoded bytes per batch; a single larger message travels alone
     * @param messageBytesMax encoded bytes of one message; larger ones are dropped. At most
     *     what the receiving server accepts, {@link RaftTransportService#INBOUND_MESSAGE_BYTES_MAX}
     *     less headroom
     * @param backoffInitialMs wait after a stream breaks before the next attempt
     * @param backoffMaxMs cap of the doubling wait
     * @param senderThreads threads that encode and write batches for all peers
     * @param closeTimeoutMs how long {@link #close()} waits for streams to end gracefully
     */
    public record Config(int queueMessagesMax, long queueBytesMax, int batchMessagesMax, long batchBytesMax,
                         int messageBytesMax, long backoffInitialMs, long backoffMaxMs, int senderThreads,
                         long closeTimeoutMs) {
        public Config {
            if (queueMessagesMax < 1 || batchMessagesMax < 1 || senderThreads < 1) {
                throw new IllegalArgumentException("queue, batch and thread counts must be positive");
            }
            if (messageBytesMax < 1 || messageBytesMax > RaftTransportService.INBOUND_MESSAGE_BYTES_MAX - (64 << 10)) {
                throw new IllegalArgumentException("messageBytesMax must be in [1, server limit - 64 KiB]: "
                        + messageBytesMax);
            }
            // A batch then never exceeds one maximal message, which the server accepts.
            if (batchBytesMax < 1 || batchBytesMax > messageBytesMax) {
                throw new IllegalArgumentException("batchBytesMax must be in [1, messageBytesMax]: " + batchBytesMax);
            }
            if (queueBytesMax < messageBytesMax) {
                throw new IllegalArgumentException("queueBytesMax must hold at least one maximal message");
            }
            if (backoffInitialMs < 1 || backoffMaxMs < backoffInitialMs || closeTimeoutMs < 0) {
                throw new IllegalArgumentException(
                        "need 1 <= backoffInitialMs <= backoffMaxMs and closeTimeoutMs >= 0");
            }
        }

        public static Config defaults() {
            return new Config(8192, 64L << 20, 1024, 1L << 20, 8 << 20, 50, 2_000, 2, 2_000);
        }

        public Config withQueue(int queueMessagesMax, long queueBytesMax) {
            return new Config(queueMessagesMax, queueBytesMax, batchMessagesMax, batchBytesMax, messageBytesMax,
                    backoffInitialMs, backoffMaxMs, senderThreads, closeTimeoutMs);
        }

        public Config withBackoff(long backoffInitialMs, long backoffMaxMs) {
            return new Config(queueMessagesMax, queueBytesMax, batchMessagesMax, batchBytesMax, messageBytesMax,
                    backoffInitialMs, backoffMaxMs, senderThreads, closeTimeoutMs);
        }
    }

    /**
     * Counters since start, over all peers: messages written to streams, messages dropped,
     * batches written, and streams opened after a failure (attempts, whether or not they
     * connected: a peer that stays down adds one per back-off).
     */
    public record Metrics(long sent, long dropped, long batches, long reconnects) {}

    /** The counters senders update. */
    static final class Counters {
        final AtomicLong sent = new AtomicLong();
        final AtomicLong dropped = new AtomicLong();
        final AtomicLong batches = new AtomicLong();
        final AtomicLong reconnects = new AtomicLong();
    }

    private final NodeId local;
    private final Config config;
    private final Function<String, ManagedChannel> channels;
    private final ScheduledThreadPoolExecutor executor;
    private final Counters counters = new Counters();
    private final ConcurrentHashMap<NodeId, PeerSender> senders = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile java.util.function.Predicate<String> reachable = address -> true;

    /** A transport over plaintext channels. */
    public PeerTransport(NodeId local, Map<NodeId, String> peers, Config config) {
        this(local, peers, config, PeerTransport::plaintextChannel);
    }

    /**
     * @param channels opens a channel to a {@code host:port}; the seam for TLS. Channels should
     *     use a direct executor (the transport's callbacks never block), no retries (a retry
     *     buffer would copy every message of a stream) and keepalive no more often than
     *     {@link RaftTransportService#KEEPALIVE_PERMIT_SECONDS}
     */
    public PeerTransport(NodeId local, Map<NodeId, String> peers, Config config,
                         Function<String, ManagedChannel> channels) {
        if (local == null || peers == null || config == null || channels == null) {
            throw new IllegalArgumentException("local node, peers, config and channel factory are required");
        }
        this.local = local;
        this.config = config;
        this.channels = channels;
        this.executor = new ScheduledThreadPoolExecutor(config.senderThreads(), senderThreadFactory(local));
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        updatePeers(peers);
    }

    /**
     * The default channel: plaintext, direct executor, no retries, keepalive on idle streams,
     * and a connect timeout well below the OS's (minutes), so a peer that does not answer is
     * found out and retried quickly.
     */
    public static ManagedChannel plaintextChannel(String address) {
        return plaintextChannel(address, new io.grpc.ClientInterceptor[0]);
    }

    /** {@link #plaintextChannel(String)} whose calls pass through {@code interceptors} (e.g. to add headers). */
    public static ManagedChannel plaintextChannel(String address, io.grpc.ClientInterceptor... interceptors) {
        return channel(address, io.grpc.InsecureChannelCredentials.create(), interceptors);
    }

    /** The default channel over {@code credentials} (TLS between nodes: the client module's {@code Tls}). */
    public static ManagedChannel channel(String address, io.grpc.ChannelCredentials credentials,
                                         io.grpc.ClientInterceptor... interceptors) {
        return NettyChannelBuilder.forTarget(address, credentials)
                .intercept(interceptors)
                .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                .directExecutor()
                .disableRetry()
                .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
                .keepAliveTimeout(KEEPALIVE_SECONDS / 2, TimeUnit.SECONDS)
                .build();
    }

    /**
     * Queues {@code message} for {@code to}. Never blocks. Returns false when the message was
     * dropped (see the class comment for when); the {@code dropped} counter says so too.
     */
    public boolean send(NodeId to, GroupId group, RaftMessage message) {
        PeerSender sender = senderFor(to, message);
        return sender != null && sender.offer(group, message);
    }

    /**
     * Queues {@code message} for {@code to} like {@link #send}, without waking a sender thread:
     * the caller then calls {@link #flush} for {@code to}, which writes the peer's stream on the
     * caller's thread. The Raft loop sends this way, so a message leaves without a hand-over to
     * another thread before Netty's.
     */
    public boolean queue(NodeId to, GroupId group, RaftMessage message) {
        PeerSender sender = senderFor(to, message);
        return sender != null && sender.queue(group, message);
    }

    /**
     * Writes what is queued for {@code to} on this thread, as far as the stream takes it now;
     * a sender thread writes the rest. Never blocks on the network.
     */
    public void flush(NodeId to) {
        PeerSender sender = closed ? null : senders.get(to);
        if (sender != null) {
            sender.writeHere();
        }
    }

    private PeerSender senderFor(NodeId to, RaftMessage message) {
        if (!message.to().equals(to)) {
            throw new IllegalArgumentException("message for " + message.to() + " sent to " + to);
        }
        PeerSender sender = closed ? null : senders.get(to);
        if (sender == null || !reachable.test(sender.address())) {
            counters.dropped.incrementAndGet();
            return null;
        }
        return sender;
    }

    /**
     * Drops, as the network would, every message to a peer whose address fails {@code reachable}
     * (the fault suite's partitions; production never sets it).
     */
    public void filterOutbound(java.util.function.Predicate<String> reachable) {
        this.reachable = java.util.Objects.requireNonNull(reachable, "reachable");
    }

    /**
     * Replaces the address book. A peer whose address changed, or that left, loses its queue and
     * stream; a new peer's stream opens on the first send to it. This node's own entry is ignored.
     */
    public synchronized void updatePeers(Map<NodeId, String> peers) {
        if (closed) {
            throw new IllegalStateException("transport is closed");
        }
        for (Map.Entry<NodeId, String> e : peers.entrySet()) {
            if (e.getValue() == null || e.getValue().isBlank()) {
                throw new IllegalArgumentException("no address for " + e.getKey());
            }
        }
        for (PeerSender sender : List.copyOf(senders.values())) {
            if (!sender.address().equals(peers.get(sender.peer()))) {
                senders.remove(sender.peer());
                sender.close();
            }
        }
        for (Map.Entry<NodeId, String> e : peers.entrySet()) {
            if (!e.getKey().equals(local) && !senders.containsKey(e.getKey())) {
                ManagedChannel channel = channels.apply(e.getValue());
                senders.put(e.getKey(), new PeerSender(e.getKey(), e.getValue(), channel, config, executor, counters));
            }
        }
    }

    /** The current address book, without this node, sorted by node. */
    public Map<NodeId, String> peers() {
        TreeMap<NodeId, String> peers = new TreeMap<>();
        senders.values().forEach(s -> peers.put(s.peer(), s.address()));
        return peers;
    }

    public Metrics metrics() {
        return new Metrics(counters.sent.get(), counters.dropped.get(), counters.batches.get(),
                counters.reconnects.get());
    }

    /**
     * Half-closes every stream, waits up to {@link Config#closeTimeoutMs()} for them to end,
     * then stops the sender threads and the channels. Queued messages are dropped. Idempotent.
     */
    @Override
    public void close() {
        List<PeerSender> closing;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            closing = new ArrayList<>(senders.values());
            senders.clear();
        }
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.closeTimeoutMs());
        closing.forEach(PeerSender::close);
        for (PeerSender sender : closing) {
            try {
                sender.closed().get(remainingNanos(deadlineNanos), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                // Forced below.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        executor.shutdownNow();
        for (PeerSender sender : closing) {
            sender.awaitChannelTermination(remainingNanos(deadlineNanos));
        }
        awaitExecutor();
    }

    private void awaitExecutor() {
        try {
            // The tasks left are short (no task blocks), so this returns promptly.
            if (!executor.awaitTermination(config.closeTimeoutMs() + 1_000, TimeUnit.MILLISECONDS)) {
                System.getLogger(PeerTransport.class.getName()).log(System.Logger.Level.WARNING,
                        "Raft sender threads did not stop in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long remainingNanos(long deadlineNanos) {
        return Math.max(0, deadlineNanos - System.nanoTime());
    }

    private static ThreadFactory senderThreadFactory(NodeId local) {
        AtomicInteger next = new AtomicInteger();
        return runnable -> {
            Thread t = new Thread(runnable, "cairn-raft-send-" + local + "-" + next.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
