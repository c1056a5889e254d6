package io.cairn.server;

import io.cairn.api.proto.KeepAliveRequest;
import io.cairn.api.proto.KeepAliveResponse;
import io.cairn.api.proto.LockGrant;
import io.cairn.api.proto.WaitResponse;
import io.cairn.common.Bytes;
import io.cairn.common.Clock;
import io.cairn.common.GroupId;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.kv.state.Keepalives;
import io.cairn.kv.state.LockState;
import io.cairn.transport.grpc.GrpcErrors;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The node's side of lock sessions that is not replicated: the keep-alives it received (which
 * its replicas, when leading, judge sessions by) and the clients waiting for a queued entry to be
 * granted, woken after each apply that changed their lock.
 */
final class LockSessions implements GroupReplica.LockChanges {
    /** The most sessions one keep-alive message may name. */
    static final int KEEPALIVE_SESSIONS_MAX = 10_000;
    /** How long one Wait stream lasts before the client is told to ask again (it re-checks at the leader). */
    static final long WAIT_STREAM_MILLIS = 30_000;

    private record WaitKey(GroupId group, Bytes name) {}

    private record Waiter(long sessionId, Bytes owner, ServerCallStreamObserver<WaitResponse> out) {}

    /** A caller of Observe: told the lock's newest holder whenever it differs from what it was told last. */
    private static final class Observer {
        final ServerCallStreamObserver<?> out;
        final java.util.function.Consumer<LockState.Entry> send;
        /** Guarded by this: the applied index of the last read sent from, and the token and value sent. */
        long sentIndex = -1;
        long sentToken = -1;
        Bytes sentValue = Bytes.EMPTY;

        Observer(ServerCallStreamObserver<?> out, java.util.function.Consumer<LockState.Entry> send) {
            this.out = out;
            this.send = send;
        }
    }

    private final RaftLoop loop;
    private final Clock clock;
    private final ScheduledExecutorService executor;
    private final Keepalives keepalives = new Keepalives();
    private final ConcurrentHashMap<WaitKey, Set<Waiter>> waiters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<WaitKey, Set<Observer>> observers = new ConcurrentHashMap<>();

    LockSessions(RaftLoop loop, Clock clock, ScheduledExecutorService executor) {
        this.loop = loop;
        this.clock = clock;
        this.executor = executor;
        executor.scheduleWithFixedDelay(() -> keepalives.sweep(clock.nanoTime()), 1, 1, TimeUnit.MINUTES);
    }

    Keepalives keepalives() {
        return keepalives;
    }

    /** Waiters across all locks, for metrics. */
    int waiting() {
        return waiters.values().stream().mapToInt(Set::size).sum();
    }

    /** A KeepAlive stream: each message is counted for its sessions, then answered with the shards this node leads. */
    StreamObserver<KeepAliveRequest> keepAlive(StreamObserver<KeepAliveResponse> out, long nodeId) {
        return new StreamObserver<>() {
            @Override
            public void onNext(KeepAliveRequest req) {
                if (req.getSessionIdsCount() > KEEPALIVE_SESSIONS_MAX) {
                    out.onError(GrpcErrors.invalidArgument("session_ids", KEEPALIVE_SESSIONS_MAX, req.getSessionIdsCount()));
                    return;
                }
                long now = clock.nanoTime();
                for (long id : req.getSessionIdsList()) {
                    keepalives.seen(id, now);
                }
                KeepAliveResponse.Builder b = KeepAliveResponse.newBuilder().setSequence(req.getSequence()).setNodeId(nodeId);
                for (GroupId g : loop.hostedGroups()) {
                    Status s = loop.status(g);
                    if (s != null && s.role() == Role.LEADER) {
                        b.addLeadingGroups(g.value());
                    }
                }
                synchronized (out) {
                    out.onNext(b.build());
                }
            }

            @Override
            public void onError(Throwable t) {
                // The client went away; its sessions live on until their TTL without it.
            }

            @Override
            public void onCompleted() {
                synchronized (out) {
                    out.onCompleted();
                }
            }
        };
    }

    /**
     * A Wait stream on this node's replica of {@code group}: answered once the entry is granted or
     * gone, or told to ask again after {@link #WAIT_STREAM_MILLIS}.
     */
    void await(GroupId group, Bytes name, long sessionId, Bytes owner, StreamObserver<WaitResponse> out) {
        if (loop.status(group) == null) {
            out.onError(GrpcErrors.unavailable("this node holds no replica of the lock's shard; ask its leader"));
            return;
        }
        ServerCallStreamObserver<WaitResponse> call = (ServerCallStreamObserver<WaitResponse>) out;
        WaitKey key = new WaitKey(group, name);
        Waiter waiter = new Waiter(sessionId, owner, call);
        register(waiters, key, waiter);
        call.setOnCancelHandler(() -> remove(key, waiter));
        var timeout = executor.schedule(() -> {
            if (remove(key, waiter)) {
                finish(waiter, () -> call.onError(GrpcErrors.unavailable("still waiting for the lock; ask again")));
            }
        }, WAIT_STREAM_MILLIS, TimeUnit.MILLISECONDS);
        call.setOnCloseHandler(() -> timeout.cancel(false));
        check(key, waiter);
    }

    /**
     * An Observe stream on this node's replica of {@code group}: the lock's newest holder at once,
     * then after every change of holder or value; {@code toMessage} makes the message (null: none holds it).
     */
    <R> void observe(GroupId group, Bytes name, StreamObserver<R> out, java.util.function.Function<LockState.Entry, R> toMessage) {
        if (loop.status(group) == null) {
            out.onError(GrpcErrors.unavailable("this node holds no replica of the lock's shard; ask another"));
            return;
        }
        ServerCallStreamObserver<R> call = (ServerCallStreamObserver<R>) out;
        WaitKey key = new WaitKey(group, name);
        Observer o = new Observer(call, entry -> call.onNext(toMessage.apply(entry)));
        register(observers, key, o);
        call.setOnCancelHandler(() -> unregister(observers, key, o));
        tell(key, o);
    }

    @Override
    public void changed(GroupId group, List<Bytes> names) {
        if (waiters.isEmpty() && observers.isEmpty()) {
            return;
        }
        executor.execute(() -> {
            for (var e : waiters.entrySet()) {
                WaitKey key = e.getKey();
                if (key.group().equals(group) && (names == null || names.contains(key.name()))) {
                    for (Waiter w : e.getValue()) {
                        check(key, w);
                    }
                }
            }
            for (var e : observers.entrySet()) {
                WaitKey key = e.getKey();
                if (key.group().equals(group) && (names == null || names.contains(key.name()))) {
                    for (Observer o : e.getValue()) {
                        tell(key, o);
                    }
                }
            }
        });
    }

    /** A read of a lock and the applied index it saw at least. */
    private record Seen(long appliedIndex, Optional<LockState> state) {}

    private void tell(WaitKey key, Observer o) {
        loop.readLocal(key.group(), sm -> {
            // The index first: the state read after it is at least that recent.
            long index = sm.appliedIndex();
            return new Seen(index, sm.lockState(key.name(), Math.max(clock.epochMillis(), sm.clockMillis())));
        }).whenComplete((seen, failure) -> {
                    if (failure != null) {
                        endObserver(key, o, "cannot read the lock here: " + failure.getMessage());
                        return;
                    }
                    LockState.Entry leader = seen.state().flatMap(LockState::newestHolder).orElse(null);
                    long token = leader == null ? 0 : leader.token();
                    Bytes value = leader == null ? Bytes.EMPTY : leader.value();
                    synchronized (o) {
                        // Reads may complete out of order: never step back to an older state.
                        if (seen.appliedIndex() < o.sentIndex || token == o.sentToken && value.equals(o.sentValue)) {
                            return;
                        }
                        o.sentIndex = seen.appliedIndex();
                        o.sentToken = token;
                        o.sentValue = value;
                        if (!o.out.isCancelled()) {
                            try {
                                o.send.accept(leader);
                            } catch (IllegalStateException e) {
                                // closed meanwhile
                            }
                        }
                    }
                });
    }

    private void endObserver(WaitKey key, Observer o, String why) {
        unregister(observers, key, o);
        synchronized (o) {
            if (!o.out.isCancelled()) {
                try {
                    o.out.onError(GrpcErrors.unavailable(why));
                } catch (IllegalStateException e) {
                    // closed meanwhile
                }
            }
        }
    }

    /** The replica of {@code group} left this node: its waiters and observers ask elsewhere. */
    void replicaGone(GroupId group) {
        for (var e : observers.entrySet()) {
            if (e.getKey().group().equals(group)) {
                for (Observer o : List.copyOf(e.getValue())) {
                    endObserver(e.getKey(), o, "the lock's replica moved away; observe again");
                }
            }
        }
        for (var e : waiters.entrySet()) {
            if (e.getKey().group().equals(group)) {
                for (Waiter w : List.copyOf(e.getValue())) {
                    if (remove(e.getKey(), w)) {
                        finish(w, () -> w.out().onError(GrpcErrors.unavailable("the lock's replica moved away; ask again")));
                    }
                }
            }
        }
    }

    private void check(WaitKey key, Waiter w) {
        loop.readLocal(key.group(), sm -> sm.lockState(key.name(), Math.max(clock.epochMillis(), sm.clockMillis())))
                .whenComplete((state, failure) -> {
                    if (failure != null) {
                        if (remove(key, w)) {
                            finish(w, () -> w.out().onError(GrpcErrors.unavailable("cannot read the lock here: "
                                    + failure.getMessage())));
                        }
                        return;
                    }
                    Optional<LockState.Entry> entry = state.flatMap(s -> s.entryOf(w.sessionId(), w.owner()));
                    if (entry.isPresent() && entry.get().token() == 0) {
                        return; // still waiting
                    }
                    if (!remove(key, w)) {
                        return; // answered by another check
                    }
                    WaitResponse.Builder b = WaitResponse.newBuilder().setGranted(entry.isPresent());
                    entry.ifPresent(e -> b.setGrant(LockGrant.newBuilder()
                            .setName(com.google.protobuf.ByteString.copyFrom(key.name().toArray())).setToken(e.token())));
                    finish(w, () -> {
                        w.out().onNext(b.build());
                        w.out().onCompleted();
                    });
                });
    }

    private boolean remove(WaitKey key, Waiter w) {
        return unregister(waiters, key, w);
    }

    /**
     * Adds {@code value} to {@code key}'s set in one atomic step with the set's creation. Not
     * {@code computeIfAbsent(...).add(...)}: between the two, the removal of the set's last value
     * could drop the set from the map, and the value would be added to a set nobody looks at any
     * more (a waiter never told of its grant: the bench's 32 lock clients all stalled behind one).
     */
    static <K, V> void register(ConcurrentHashMap<K, Set<V>> map, K key, V value) {
        map.compute(key, (k, set) -> {
            Set<V> values = set == null ? ConcurrentHashMap.newKeySet() : set;
            values.add(value);
            return values;
        });
    }

    /** Removes {@code value} from {@code key}'s set, and the set once empty; true if it was there. */
    static <K, V> boolean unregister(ConcurrentHashMap<K, Set<V>> map, K key, V value) {
        boolean[] removed = {false};
        map.computeIfPresent(key, (k, set) -> {
            removed[0] = set.remove(value);
            return set.isEmpty() ? null : set;
        });
        return removed[0];
    }

    private static void finish(Waiter w, Runnable answer) {
        if (!w.out().isCancelled()) {
            try {
                answer.run();
            } catch (IllegalStateException e) {
                // The call closed meanwhile.
            }
        }
    }
}
