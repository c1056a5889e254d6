package io.cairn.server;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.api.proto.AuthChangeRequest;
import io.cairn.api.proto.AuthChangeResponse;
import io.cairn.api.proto.AuthDb;
import io.cairn.api.proto.AuthFetchRequest;
import io.cairn.api.proto.AuthFetchResponse;
import io.cairn.api.proto.AuthGrpc;
import io.cairn.api.proto.AuthRefreshRequest;
import io.cairn.api.proto.AuthRefreshResponse;
import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.Role;
import io.cairn.consensus.Status;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.KeyValue;
import io.cairn.kv.state.Result;
import io.cairn.placement.MemberInfo;
import io.cairn.placement.ShardGroups;
import io.grpc.Deadline;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * This node's copy of the users and roles, and the way they change.
 *
 * <p>The authoritative record is one system record of the control group (the metadata group,
 * or the only shard of a single-shard cluster), which no client request can read or write.
 * Every node keeps a copy, read linearizably from that group (by its own replica when it holds
 * one, else by asking a node that does) every {@link #REFRESH_EVERY_MILLIS}; a copy older than
 * {@link #STALE_MAX_MILLIS} is not trusted, and the node refuses requests that need it rather
 * than judge by a revoked permission. A change is made at the control group's leader (read,
 * change, compare-and-set on the record's version), then every member is asked to refresh and
 * the change's caller is told which members did not confirm in time.
 *
 * <p>At the first start of a cluster with authentication, the control group's first leader
 * writes the first record: the root role and the root user, whose password comes from
 * {@code --root-password-file} or is generated and printed once.
 */
final class AuthStore implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AuthStore.class.getName());
    static final Bytes RECORD = Bytes.utf8("auth");
    static final long REFRESH_EVERY_MILLIS = 1_000;
    static final long STALE_MAX_MILLIS = 5_000;
    static final long REFRESH_WAIT_MILLIS = 2_000;
    private static final int CHANGE_ATTEMPTS_MAX = 5;
    /** Password hashing uses at most this many cores, so logins cannot starve the Raft loop. */
    private static final int HASHING_THREADS = 2;
    private static final long CALL_TIMEOUT_MILLIS = 2_000;

    private final RaftLoop loop;
    private final ClusterMap map;
    private final ServerConfig config;
    private final Forwarder forwarder;
    private final GroupId controlGroup;
    private final ScheduledExecutorService timer;
    /** PBKDF2 runs here, never on a network thread; bounded so a login flood queues no more than this. */
    private final ExecutorService hashing;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private final AtomicBoolean bootstrapping = new AtomicBoolean();
    private final java.util.function.LongSupplier nanoTime;
    private volatile AuthState state;
    private volatile long refreshedAtNanos;
    private volatile String lastProblem = "no copy of the users and roles yet";

    AuthStore(RaftLoop loop, ClusterMap map, ServerConfig config, Forwarder forwarder) {
        this.loop = loop;
        this.map = map;
        this.config = config;
        this.forwarder = forwarder;
        this.controlGroup = config.shards() == 1 ? ShardGroups.DATA_GROUP : ShardGroups.META_GROUP;
        this.nanoTime = System::nanoTime;
        this.timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "auth-refresh"));
        ThreadPoolExecutor pool = new ThreadPoolExecutor(HASHING_THREADS, HASHING_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(64), r -> daemon(r, "auth-hash"), new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true);
        this.hashing = pool;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    void start() {
        timer.scheduleWithFixedDelay(() -> refresh(), 0, REFRESH_EVERY_MILLIS, TimeUnit.MILLISECONDS);
    }

    ExecutorService hashing() {
        return hashing;
    }

    /**
     * The copy to judge a request by; an {@link io.grpc.StatusRuntimeException} UNAVAILABLE when
     * this node has none fresh enough.
     */
    AuthState current() {
        AuthState s = state;
        long ageMillis = TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong() - refreshedAtNanos);
        if (s == null || ageMillis > STALE_MAX_MILLIS) {
            throw io.grpc.Status.UNAVAILABLE.withDescription(config.nodeId() + " cannot check permissions now: "
                    + (s == null ? lastProblem : "its copy of users and roles is " + ageMillis / 1000
                    + " s old (" + lastProblem + ")") + "; retry, or ask another node").asRuntimeException();
        }
        return s;
    }

    /** Reads the record again (at most one refresh at a time); completes with the copy now held. */
    CompletableFuture<AuthState> refresh() {
        if (!refreshing.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(state);
        }
        CompletableFuture<AuthState> done = fetch().thenApply(this::adopt);
        return done.whenComplete((s, e) -> {
            refreshing.set(false);
            if (e != null) {
                lastProblem = "last refresh failed: " + rootMessage(e);
            }
        });
    }

    private AuthState adopt(Optional<AuthState> fetched) {
        if (fetched.isEmpty()) {
            lastProblem = "the cluster has no users yet (the control group's leader creates root)";
            if (bootstrapping.compareAndSet(false, true)) {
                // Off the thread that completed the read (the Raft loop's): it proposes and waits.
                hashing.execute(() -> {
                    try {
                        bootstrapIfLeader();
                    } catch (RuntimeException e) {
                        lastProblem = "creating the root user failed: " + rootMessage(e);
                    } finally {
                        bootstrapping.set(false);
                    }
                });
            }
            return state;
        }
        AuthState s = fetched.get();
        AuthState old = state;
        if (old == null || s.revision() >= old.revision()) {
            state = s;
        }
        refreshedAtNanos = nanoTime.getAsLong();
        return state;
    }

    /** The record as the control group holds it now: from the own replica, else from a node with one. */
    private CompletableFuture<Optional<AuthState>> fetch() {
        if (loop.status(controlGroup) != null) {
            return readLocal();
        }
        return fetchFrom(otherMembers(), 0);
    }

    /** A linearizable read of the record through this node's replica of the control group. */
    CompletableFuture<Optional<AuthState>> readLocal() {
        return loop.readLinearizable(controlGroup, sm -> sm.system(RECORD)).thenApply(AuthStore::parse);
    }

    private CompletableFuture<Optional<AuthState>> fetchFrom(List<String> addresses, int i) {
        if (i >= addresses.size()) {
            return CompletableFuture.failedFuture(new IllegalStateException("no member holding the control group answered"));
        }
        AuthFetchRequest req = AuthFetchRequest.newBuilder().setKnownRevision(0).build();
        return forwarder.call(AuthGrpc.getFetchMethod(), req, addresses.get(i), deadline())
                .thenApply(r -> r.hasDb() ? Optional.of(AuthState.fromProto(r.getDb(), r.getDb().getRevision()))
                        : Optional.<AuthState>empty())
                .exceptionallyCompose(e -> fetchFrom(addresses, i + 1));
    }

    /** Answers another node's fetch: only a node with a replica of the control group can. */
    CompletableFuture<AuthFetchResponse> serveFetch(AuthFetchRequest req) {
        if (loop.status(controlGroup) == null) {
            return CompletableFuture.failedFuture(io.grpc.Status.UNAVAILABLE
                    .withDescription(config.nodeId() + " holds no replica of the control group").asRuntimeException());
        }
        return readLocal().thenApply(s -> {
            AuthFetchResponse.Builder b = AuthFetchResponse.newBuilder().setAuthEnabled(config.security().auth());
            if (s.isPresent() && s.get().revision() > req.getKnownRevision()) {
                b.setDb(s.get().toProto().toBuilder().setRevision(s.get().revision()));
            }
            return b.build();
        });
    }

    /** Refreshes now for a change committed at {@code revision}; answers the revision held after. */
    CompletableFuture<AuthRefreshResponse> serveRefresh(AuthRefreshRequest req) {
        AuthState held = state;
        CompletableFuture<AuthState> now = held != null && held.revision() >= req.getRevision()
                ? CompletableFuture.completedFuture(held) : refreshUntil(req.getRevision(), 3);
        return now.thenApply(s -> AuthRefreshResponse.newBuilder().setRevision(s == null ? 0 : s.revision()).build());
    }

    private CompletableFuture<AuthState> refreshUntil(long revision, int attempts) {
        return fetch().thenApply(this::adopt).thenCompose(s -> s != null && s.revision() >= revision || attempts <= 1
                ? CompletableFuture.completedFuture(s) : refreshUntil(revision, attempts - 1));
    }

    private static Optional<AuthState> parse(Optional<KeyValue> kv) {
        if (kv.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(AuthState.fromProto(AuthDb.parseFrom(kv.get().value().toArray()), kv.get().version()));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("the users and roles record is corrupt: " + e.getMessage(), e);
        }
    }

    /** The control group's leader writes the first record, once (a compare-and-set on "absent"). */
    private void bootstrapIfLeader() {
        Status s = loop.status(controlGroup);
        if (s == null || s.role() != Role.LEADER) {
            return;
        }
        String password;
        boolean generated = config.security().rootPasswordFile() == null;
        try {
            password = generated ? Passwords.generate() : readPasswordFile();
        } catch (IOException | IllegalArgumentException e) {
            lastProblem = "cannot create the root user: " + e.getMessage();
            LOG.log(System.Logger.Level.ERROR, lastProblem);
            return;
        }
        AuthState first = AuthState.initial(password, config.security().passwordIterations());
        Result r = loop.propose(controlGroup, 0, 0, new Command.SetSystem(RECORD, 0, Bytes.wrap(first.toProto().toByteArray())))
                .orTimeout(CALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).join();
        if (r instanceof Result.Written w) {
            if (generated) {
                // Printed once, by the node that created it; never logged again.
                System.out.println("cairn: created the root user of this cluster; its password, shown only now: " + password);
                System.out.flush();
            }
            LOG.log(System.Logger.Level.INFO, "{0} created the users and roles record (revision {1})", config.nodeId(),
                    Long.toString(w.revision()));
        }
    }

    private String readPasswordFile() throws IOException {
        List<String> lines = Files.readAllLines(config.security().rootPasswordFile(), StandardCharsets.UTF_8);
        String password = lines.isEmpty() ? "" : lines.get(0).strip();
        Passwords.check(password);
        return password;
    }

    /**
     * Makes {@code change} at the control group's leader (here, or at the node that leads it) and
     * asks every member to refresh; an {@link IllegalArgumentException} for a change the model
     * refuses.
     */
    CompletableFuture<AuthChangeResponse> change(AuthChangeRequest change, boolean mayForward) {
        Status s = loop.status(controlGroup);
        if (s != null && s.role() == Role.LEADER) {
            return CompletableFuture.supplyAsync(() -> changeHere(change), hashing)
                    .thenCompose(revision -> confirmEverywhere(revision)
                            .thenApply(unconfirmed -> AuthChangeResponse.newBuilder().setRevision(revision)
                                    .addAllUnconfirmed(unconfirmed).build()));
        }
        if (!mayForward) {
            return CompletableFuture.failedFuture(io.grpc.Status.UNAVAILABLE.withDescription(config.nodeId()
                    + " does not lead the control group").asRuntimeException());
        }
        List<String> targets = new ArrayList<>();
        if (s != null && s.leader() != null && !s.leader().equals(config.nodeId())) {
            targets.add(map.current().address(s.leader()));
        }
        targets.addAll(otherMembers());
        return changeAt(change, targets.stream().distinct().toList(), 0, null);
    }

    private CompletableFuture<AuthChangeResponse> changeAt(AuthChangeRequest change, List<String> targets, int i,
                                                           Throwable last) {
        if (i >= targets.size()) {
            return CompletableFuture.failedFuture(io.grpc.Status.UNAVAILABLE.withDescription(
                    "no node leads the control group now" + (last == null ? "" : " (" + rootMessage(last) + ")")
                            + "; retry").asRuntimeException());
        }
        return forwarder.call(AuthGrpc.getChangeMethod(), change, targets.get(i), Deadline.after(10, TimeUnit.SECONDS))
                .exceptionallyCompose(e -> {
                    io.grpc.Status.Code code = io.grpc.Status.fromThrowable(e).getCode();
                    if (code == io.grpc.Status.Code.INVALID_ARGUMENT || code == io.grpc.Status.Code.FAILED_PRECONDITION) {
                        return CompletableFuture.failedFuture(e);
                    }
                    return changeAt(change, targets, i + 1, e);
                });
    }

    private long changeHere(AuthChangeRequest change) {
        for (int attempt = 1; ; attempt++) {
            Optional<AuthState> current = readLocal().orTimeout(CALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).join();
            if (current.isEmpty()) {
                throw io.grpc.Status.UNAVAILABLE.withDescription("the cluster has no users yet; retry in a moment")
                        .asRuntimeException();
            }
            AuthState next = current.get().apply(change, config.security().passwordIterations());
            Result r = loop.propose(controlGroup, 0, 0, new Command.SetSystem(RECORD, current.get().revision(),
                    Bytes.wrap(next.toProto().toByteArray()))).orTimeout(CALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).join();
            if (r instanceof Result.Written w) {
                adopt(Optional.of(AuthState.fromProto(next.toProto(), w.version())));
                return w.version();
            }
            if (!(r instanceof Result.CasFailed) || attempt >= CHANGE_ATTEMPTS_MAX) {
                throw io.grpc.Status.UNAVAILABLE.withDescription("the change did not apply (" + r + "); retry")
                        .asRuntimeException();
            }
        }
    }

    /** Asks every other member to refresh; completes with those that did not confirm in time. */
    private CompletableFuture<List<String>> confirmEverywhere(long revision) {
        AuthRefreshRequest req = AuthRefreshRequest.newBuilder().setRevision(revision).build();
        List<String> unconfirmed = java.util.Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        for (Map.Entry<NodeId, MemberInfo> m : map.current().members().entrySet()) {
            if (m.getKey().equals(config.nodeId()) || m.getValue().state() == MemberInfo.State.REMOVED) {
                continue;
            }
            String name = m.getKey() + " (" + m.getValue().address() + ")";
            calls.add(forwarder.call(AuthGrpc.getRefreshMethod(), req, m.getValue().address(),
                            Deadline.after(REFRESH_WAIT_MILLIS, TimeUnit.MILLISECONDS))
                    .handle((r, e) -> {
                        if (e != null || r.getRevision() < revision) {
                            unconfirmed.add(name);
                        }
                        return null;
                    }));
        }
        return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).thenApply(v -> List.copyOf(unconfirmed));
    }

    private List<String> otherMembers() {
        List<String> out = new ArrayList<>();
        map.current().members().forEach((id, m) -> {
            if (!id.equals(config.nodeId()) && m.state() != MemberInfo.State.REMOVED && !m.address().isEmpty()) {
                out.add(m.address());
            }
        });
        return out;
    }

    private static Deadline deadline() {
        return Deadline.after(CALL_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return String.valueOf(t.getMessage());
    }

    @Override
    public void close() {
        timer.shutdownNow();
        hashing.shutdownNow();
    }
}
