package io.cairn.client;

import io.cairn.api.proto.ErrorDetail;
import io.cairn.api.proto.WatchGrpc;
import io.cairn.api.proto.WatchRequest;
import io.cairn.api.proto.WatchResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A running watch: one stream per shard the query covers, each from any replica of its shard,
 * re-opened elsewhere from the next revision when a node dies, a replica moves or the server
 * cuts the stream, so the listener sees every change of each shard once, in revision order,
 * across reconnects. It ends on {@link #close}, or with {@link Listener#onError} when a stream
 * cannot resume: its revision was compacted ({@link CompactedException}), or the query is bad.
 */
public final class Watch implements AutoCloseable {
    /** What a watch reports; calls are never concurrent. */
    public interface Listener {
        /**
         * Changes of one shard in revision order (maybe none), and the revision through which
         * that shard's stream is complete: a watch resumed from {@code progressRevision + 1}
         * misses nothing.
         */
        void onEvents(int shard, List<WatchEvent> events, long progressRevision);

        /** The watch ended and will report nothing more. */
        default void onError(Throwable error) {}
    }

    /** A shard's stream asked for a revision its replicas no longer keep. */
    public static final class CompactedException extends CairnException {
        private static final long serialVersionUID = 1L;
        private final int shard;
        private final long oldestRevision;

        CompactedException(int shard, long oldestRevision, String message) {
            super("shard " + shard + ": " + message, null);
            this.shard = shard;
            this.oldestRevision = oldestRevision;
        }

        public int shard() {
            return shard;
        }

        /** The oldest revision the replica still had: resume there accepting a gap, or read again. */
        public long oldestRevision() {
            return oldestRevision;
        }
    }

    private static final long BACKOFF_INITIAL_MILLIS = 50;
    private static final long BACKOFF_MAX_MILLIS = 2_000;

    private final Endpoints endpoints;
    private final WatchRequest template;
    private final Listener listener;
    private final ScheduledExecutorService reconnectTimer;
    private final List<Stream> streams = new ArrayList<>();
    private final CountDownLatch established;
    private volatile boolean closed;
    private volatile RuntimeException failure;
    private final java.util.concurrent.atomic.AtomicLong reconnects = new java.util.concurrent.atomic.AtomicLong();

    Watch(Endpoints endpoints, WatchRequest template, List<Integer> shards, java.util.Map<Integer, Long> starts,
          Listener listener) {
        this.endpoints = endpoints;
        this.template = template;
        this.listener = listener;
        this.reconnectTimer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-watch-reconnect");
            t.setDaemon(true);
            return t;
        });
        this.established = new CountDownLatch(shards.size());
        for (int shard : shards) {
            streams.add(new Stream(shard, starts.getOrDefault(shard, 0L)));
        }
    }

    void start() {
        streams.forEach(Stream::open);
    }

    /** Waits until every shard's stream answered once; false if that took longer than {@code millis}. */
    boolean awaitEstablished(long millis) throws InterruptedException {
        return established.await(millis, TimeUnit.MILLISECONDS);
    }

    /** The next revision shard {@code shard}'s stream will report (its resume point). */
    public long nextRevision(int shard) {
        for (Stream s : streams) {
            if (s.shard == shard) {
                return s.next;
            }
        }
        throw new IllegalArgumentException("this watch has no stream of shard " + shard);
    }

    /** How many times a stream was re-opened after it broke (a node died, a replica moved, a cut). */
    public long reconnects() {
        return reconnects.get();
    }

    @Override
    public void close() {
        closed = true;
        for (Stream s : streams) {
            s.cancel();
        }
        reconnectTimer.shutdownNow();
    }

    /** Why the watch ended by itself, or null. */
    RuntimeException failure() {
        return failure;
    }

    private void fail(RuntimeException error) {
        if (closed) {
            return;
        }
        failure = error;
        close();
        while (established.getCount() > 0) {
            established.countDown(); // a caller waiting in CairnClient.watch learns of it now
        }
        synchronized (listener) {
            listener.onError(error);
        }
    }

    /** One shard's stream and where it resumes. */
    private final class Stream {
        final int shard;
        /** The first revision not yet reported; 0 until the first answer of a watch "from now". */
        volatile long next;
        private long backoffMillis = BACKOFF_INITIAL_MILLIS;
        private int endpointTurn;
        private boolean answered;
        private volatile ClientCallStreamObserver<WatchRequest> call;

        Stream(int shard, long start) {
            this.shard = shard;
            this.next = start;
        }

        void open() {
            String address = endpoints.leaderGuess(Endpoints.FIRST_GROUP + shard);
            open(address != null ? address : nextEndpoint());
        }

        private String nextEndpoint() {
            List<String> all = endpoints.configured();
            return all.get(Math.floorMod(shard + endpointTurn++, all.size()));
        }

        void open(String address) {
            if (closed) {
                return;
            }
            WatchRequest req = template.toBuilder().setShard(shard).setStartRevision(next).build();
            WatchGrpc.newStub(endpoints.channel(address)).watch(req, new ClientResponseObserver<WatchRequest, WatchResponse>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
                    call = requestStream;
                }

                @Override
                public void onNext(WatchResponse resp) {
                    received(resp);
                }

                @Override
                public void onError(Throwable t) {
                    broken(address, t);
                }

                @Override
                public void onCompleted() {
                    broken(address, Status.UNAVAILABLE.withDescription("the server ended the stream").asRuntimeException());
                }
            });
        }

        private void received(WatchResponse resp) {
            List<WatchEvent> events = new ArrayList<>(resp.getEventsCount());
            long from = next;
            for (io.cairn.api.proto.WatchEvent e : resp.getEventsList()) {
                if (e.getRevision() >= from) { // never twice, whatever a replica resends
                    events.add(CairnClient.toWatchEvent(shard, e));
                }
            }
            long last = events.isEmpty() ? 0 : events.get(events.size() - 1).revision();
            next = Math.max(next, Math.max(last, resp.getProgressRevision()) + 1);
            backoffMillis = BACKOFF_INITIAL_MILLIS;
            if (!answered) {
                answered = true;
                established.countDown();
            }
            if (closed) {
                return;
            }
            synchronized (listener) {
                listener.onEvents(shard, events, next - 1);
            }
        }

        private void broken(String address, Throwable t) {
            if (closed) {
                return;
            }
            Status status = Status.fromThrowable(t);
            ErrorDetail detail = ErrorDetails.of(t);
            if (detail != null && detail.hasCompacted()) {
                fail(new CompactedException(shard, detail.getCompacted().getOldestRevision(),
                        String.valueOf(status.getDescription())));
                return;
            }
            if (status.getCode() == Status.Code.INVALID_ARGUMENT) {
                fail(new IllegalArgumentException(status.getDescription()));
                return;
            }
            if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED && String.valueOf(status.getDescription()).contains("the limit")) {
                fail(new CairnException(address + ": " + status.getDescription(), t));
                return;
            }
            if (status.getCode() == Status.Code.PERMISSION_DENIED) {
                // Reconnecting would be refused the same way: a revoked read ends the watch.
                fail(new AccessDeniedException(address + ": " + status.getDescription(), t));
                return;
            }
            if (detail != null && detail.hasWatchCancelled()) {
                next = Math.max(next, detail.getWatchCancelled().getNextRevision());
            }
            String target = detail != null && detail.hasWrongShard() && !detail.getWrongShard().getHintAddress().isEmpty()
                    ? detail.getWrongShard().getHintAddress() : nextEndpoint();
            long delay = target.equals(address) ? backoffMillis : (detail != null && detail.hasWrongShard() ? 0 : backoffMillis);
            backoffMillis = Math.min(BACKOFF_MAX_MILLIS, backoffMillis * 2);
            reconnects.incrementAndGet();
            try {
                reconnectTimer.schedule(() -> open(target), delay, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed meanwhile
            }
        }

        void cancel() {
            ClientCallStreamObserver<WatchRequest> c = call;
            if (c != null) {
                c.cancel("watch closed", null);
            }
        }
    }
}
