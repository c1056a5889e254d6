package io.cairn.transport.grpc;

import io.cairn.api.proto.RaftBatch;
import io.cairn.api.proto.RaftEnvelope;
import io.cairn.api.proto.RaftTransportGrpc;
import io.cairn.api.proto.StreamAck;
import io.cairn.common.GroupId;
import io.cairn.common.Invariants;
import io.cairn.common.NodeId;
import io.cairn.raft.RaftMessage;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One peer's queue and stream. {@link #offer} is called by any thread; everything that touches
 * the stream runs in {@link #drain}, which the {@code drainScheduled} flag keeps to one thread
 * at a time, so the stream (not thread-safe) sees one caller, and the queue one consumer.
 *
 * <p>States: IDLE (no stream; the next drain with work opens one), STREAMING (a stream is open
 * or opening), BACKOFF (the last stream broke; sends are dropped until the back-off timer moves
 * to IDLE), CLOSED. State changes happen under {@code this}; no gRPC call is made under it.
 */
final class PeerSender {
    private static final System.Logger LOG = System.getLogger(PeerSender.class.getName());
    /** Batches one drain turn writes before yielding the thread to other peers. */
    private static final int BATCHES_PER_TURN = 16;
    /** Bytes a batch spends on an envelope beyond its encoding: a tag and a length varint. */
    private static final int ENVELOPE_FRAMING_BYTES = 6;

    private enum State { IDLE, STREAMING, BACKOFF, CLOSED }

    private final NodeId peer;
    private final String address;
    private final ManagedChannel channel;
    private final RaftTransportGrpc.RaftTransportStub stub;
    private final PeerTransport.Config config;
    private final ScheduledExecutorService executor;
    private final PeerTransport.Counters counters;

    private final ConcurrentLinkedQueue<Outbound> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedMessages = new AtomicInteger();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    private volatile State state = State.IDLE;
    // Guarded by this.
    private Attempt attempt;
    private long backoffMs;
    private boolean failedBefore;

    PeerSender(NodeId peer, String address, ManagedChannel channel, PeerTransport.Config config,
               ScheduledExecutorService executor, PeerTransport.Counters counters) {
        this.peer = peer;
        this.address = address;
        this.channel = channel;
        this.stub = RaftTransportGrpc.newStub(channel);
        this.config = config;
        this.executor = executor;
        this.counters = counters;
        this.backoffMs = config.backoffInitialMs();
    }

    NodeId peer() {
        return peer;
    }

    String address() {
        return address;
    }

    /** Completes once the stream is half-closed, the queue emptied and the channel shut down. */
    CompletableFuture<Void> closed() {
        return closed;
    }

    boolean offer(GroupId group, RaftMessage message) {
        boolean queued = queue(group, message);
        if (queued) {
            signal();
        }
        return queued;
    }

    /** Queues without waking a sender thread: the caller writes it with {@link #writeHere}. */
    boolean queue(GroupId group, RaftMessage message) {
        State s = state;
        if (s == State.BACKOFF || s == State.CLOSED) {
            return drop();
        }
        long sizeBytes = RaftCodec.sizeUpperBoundBytes(message);
        // Reserve room first, so concurrent senders never overshoot either bound.
        if (queuedMessages.incrementAndGet() > config.queueMessagesMax()) {
            queuedMessages.decrementAndGet();
            return drop();
        }
        if (queuedBytes.addAndGet(sizeBytes) > config.queueBytesMax()) {
            queuedBytes.addAndGet(-sizeBytes);
            queuedMessages.decrementAndGet();
            return drop();
        }
        queue.add(new Outbound(group, message, sizeBytes));
        return true;
    }

    /**
     * Writes what is queued on the calling thread, unless a sender thread is at it (then that
     * thread takes it). A turn that leaves work (a stream not ready yet, more than a turn's
     * batches) hands the rest to the sender threads, as {@link #drain} always does.
     */
    void writeHere() {
        // If a sender thread holds the flag, it looks at the queue again after letting go of it.
        if (drainScheduled.compareAndSet(false, true)) {
            drain();
        }
    }

    void close() {
        synchronized (this) {
            state = State.CLOSED;
        }
        signal();
    }

    /** Shuts the channel down (if the graceful close did not) and waits, forcing it at the end. */
    void awaitChannelTermination(long timeoutNanos) {
        channel.shutdown();
        try {
            if (!channel.awaitTermination(timeoutNanos, TimeUnit.NANOSECONDS)) {
                channel.shutdownNow();
                channel.awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private boolean drop() {
        counters.dropped.incrementAndGet();
        return false;
    }

    /** Makes sure a drain turn will run. */
    private void signal() {
        if (drainScheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                // The transport is closing: it forces streams and channels shut itself.
                drainScheduled.set(false);
            }
        }
    }

    private void drain() {
        try {
            int batches = 0;
            while (batches < BATCHES_PER_TURN && drainOnce()) {
                batches++;
            }
        } catch (RuntimeException | Error e) {
            // A bug, not a network fault: stop this peer rather than fail again on every turn,
            // and report it where the node's uncaught-exception handler sees it (the executor
            // would swallow it).
            synchronized (this) {
                state = State.CLOSED;
            }
            LOG.log(Level.ERROR, "Raft sender for " + peer + " failed; the peer gets no more messages", e);
            Thread current = Thread.currentThread();
            current.getUncaughtExceptionHandler().uncaughtException(current, e);
        } finally {
            drainScheduled.set(false);
            // Work that arrived after the last look (a send, an onReady) found the flag set.
            if (hasWork()) {
                signal();
            }
        }
    }

    /** Does one step of work; true when it wrote a batch and there may be more. */
    private boolean drainOnce() {
        State s;
        Attempt a;
        synchronized (this) {
            s = state;
            a = attempt;
        }
        switch (s) {
            case CLOSED -> {
                finishClose();
                return false;
            }
            case BACKOFF -> {
                discardQueue();
                return false;
            }
            case IDLE -> {
                if (!queue.isEmpty()) {
                    openStream();
                }
                return false;
            }
            default -> {
                return writeBatch(a);
            }
        }
    }

    private boolean hasWork() {
        State s = state;
        if (s == State.CLOSED) {
            return !closed.isDone();
        }
        if (queue.isEmpty()) {
            return false;
        }
        if (s != State.STREAMING) {
            return true;
        }
        Attempt a;
        synchronized (this) {
            a = attempt;
        }
        return a != null && a.requests.isReady();
    }

    private void openStream() {
        Attempt a = new Attempt();
        boolean reconnect;
        synchronized (this) {
            if (state != State.IDLE) {
                return;
            }
            // Current before the call starts, so a failure reported during start() is not missed.
            attempt = a;
            state = State.STREAMING;
            reconnect = failedBefore;
        }
        if (reconnect) {
            counters.reconnects.incrementAndGet();
            // gRPC keeps its own, slower, connect back-off; ours has already waited.
            channel.resetConnectBackoff();
        }
        stub.stream(a);
    }

    private boolean writeBatch(Attempt a) {
        if (!a.requests.isReady()) {
            // gRPC's onReady callback signals when the stream can take more.
            return false;
        }
        if (!a.established) {
            a.established = true;
            synchronized (this) {
                backoffMs = config.backoffInitialMs();
            }
        }
        RaftBatch batch = nextBatch();
        if (batch == null) {
            return false;
        }
        a.requests.onNext(batch);
        counters.batches.incrementAndGet();
        counters.sent.addAndGet(batch.getEnvelopesCount());
        return true;
    }

    /** Takes queued messages for one batch within the batch bounds; null when none. */
    private RaftBatch nextBatch() {
        RaftBatch.Builder batch = RaftBatch.newBuilder();
        long batchBytes = 0;
        while (batch.getEnvelopesCount() < config.batchMessagesMax()) {
            Outbound head = queue.peek();
            if (head == null) {
                break;
            }
            RaftEnvelope envelope = head.encoded();
            long sizeBytes = envelope.getSerializedSize() + ENVELOPE_FRAMING_BYTES;
            if (sizeBytes > config.messageBytesMax()) {
                take(head);
                drop();
                LOG.log(Level.WARNING, "dropped a {0}-byte Raft message to {1}: above messageBytesMax",
                        sizeBytes, peer);
                continue;
            }
            // A message that does not fit waits for the next batch, unless it would travel alone.
            if (batch.getEnvelopesCount() > 0 && batchBytes + sizeBytes > config.batchBytesMax()) {
                break;
            }
            take(head);
            batch.addEnvelopes(envelope);
            batchBytes += sizeBytes;
        }
        return batch.getEnvelopesCount() == 0 ? null : batch.build();
    }

    private void take(Outbound head) {
        Outbound taken = queue.poll();
        Invariants.check(taken == head, "peer queue of %s has a second consumer", peer);
        queuedMessages.decrementAndGet();
        queuedBytes.addAndGet(-head.sizeBytes);
    }

    private void discardQueue() {
        Outbound head;
        while ((head = queue.peek()) != null) {
            take(head);
            drop();
        }
    }

    private void finishClose() {
        Attempt a;
        synchronized (this) {
            a = attempt;
            attempt = null;
        }
        try {
            discardQueue();
            if (a != null) {
                a.requests.onCompleted();
            }
        } finally {
            // Even after a failure above, so that close() does not wait and no turn repeats this.
            channel.shutdown();
            closed.complete(null);
        }
    }

    /** The stream of {@code a} ended: back off, then allow a new one. */
    private void ended(Attempt a, Throwable error) {
        long delayMs;
        boolean wasEstablished;
        synchronized (this) {
            if (attempt != a) {
                return;
            }
            attempt = null;
            if (state == State.CLOSED) {
                return;
            }
            state = State.BACKOFF;
            failedBefore = true;
            delayMs = backoffMs;
            backoffMs = Math.min(config.backoffMaxMs(), 2 * backoffMs);
            wasEstablished = a.established;
        }
        LOG.log(wasEstablished ? Level.INFO : Level.DEBUG, "Raft stream to {0} at {1} ended ({2}); retry in {3} ms",
                peer, address, error == null ? "closed by peer" : Status.fromThrowable(error), delayMs);
        try {
            executor.schedule(this::backoffElapsed, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return; // Closing.
        }
        signal();
    }

    private void backoffElapsed() {
        synchronized (this) {
            if (state == State.BACKOFF) {
                state = State.IDLE;
            }
        }
        signal();
    }

    /** A queued message; its encoding is made once, by the draining thread. */
    private static final class Outbound {
        final GroupId group;
        final RaftMessage message;
        final long sizeBytes;
        private RaftEnvelope encoded;

        Outbound(GroupId group, RaftMessage message, long sizeBytes) {
            this.group = group;
            this.message = message;
            this.sizeBytes = sizeBytes;
        }

        RaftEnvelope encoded() {
            if (encoded == null) {
                encoded = RaftCodec.encode(group, message);
            }
            return encoded;
        }
    }

    /** One stream. gRPC calls these methods on its own threads; they only signal and mark. */
    private final class Attempt implements ClientResponseObserver<RaftBatch, StreamAck> {
        /** Set in beforeStart, before the stub returns it. */
        ClientCallStreamObserver<RaftBatch> requests;
        /** Whether the stream was ever writable; written by the draining thread only. */
        volatile boolean established;

        @Override
        public void beforeStart(ClientCallStreamObserver<RaftBatch> requestStream) {
            requests = requestStream;
            requestStream.setOnReadyHandler(PeerSender.this::signal);
        }

        @Override
        public void onNext(StreamAck ack) {
            // The receiver's tally after we half-closed; nothing to do with it.
        }

        @Override
        public void onError(Throwable t) {
            ended(this, t);
        }

        @Override
        public void onCompleted() {
            ended(this, null);
        }
    }
}
