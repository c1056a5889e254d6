package io.cairn.client;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.AddNodeRequest;
import io.cairn.api.proto.ClusterGrpc;
import io.cairn.api.proto.CompareAndSetRequest;
import io.cairn.api.proto.CompareAndSetResponse;
import io.cairn.api.proto.DeleteRequest;
import io.cairn.api.proto.DeleteResponse;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.GetResponse;
import io.cairn.api.proto.KeyRange;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.MembershipResponse;
import io.cairn.api.proto.MultiGetRequest;
import io.cairn.api.proto.MultiGetResponse;
import io.cairn.api.proto.PutRequest;
import io.cairn.api.proto.PutResponse;
import io.cairn.api.proto.RemoveNodeRequest;
import io.cairn.api.proto.ResponseHeader;
import io.cairn.api.proto.Role;
import io.cairn.api.proto.ScanRequest;
import io.cairn.api.proto.ScanResponse;
import io.cairn.api.proto.ShardView;
import io.cairn.api.proto.ShardsRequest;
import io.cairn.api.proto.ShardsResponse;
import io.cairn.api.proto.TransferLeaderRequest;
import io.cairn.api.proto.TransferLeaderResponse;
import io.grpc.MethodDescriptor;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A client of a Cairn cluster. Create one per application and share it: it is thread-safe,
 * keeps one channel per node address, and must be {@linkplain #close closed}.
 *
 * <pre>{@code
 * try (CairnClient client = CairnClient.builder()
 *         .endpoints("127.0.0.1:7401", "127.0.0.1:7402", "127.0.0.1:7403")
 *         .requestTimeout(Duration.ofSeconds(5))
 *         .build()) {
 *     client.put("greeting", "hello");
 *     client.get("greeting").map(KeyValue::valueUtf8).orElse("absent");
 * }
 * }</pre>
 *
 * <h2>Finding the leader</h2>
 * Every request starts at the address that last answered as leader, or at one of the configured
 * endpoints. A node that does not lead the key's shard answers NOT_LEADER, usually with the
 * leader's address, which the client follows even when it is not a configured endpoint. On
 * UNAVAILABLE, a connection failure or a NOT_LEADER without a hint the client moves to the next
 * endpoint after a back-off (20 ms doubling to 500 ms by default, jittered). It keeps trying
 * until the request's deadline ({@link Builder#requestTimeout}), then fails with
 * {@link CairnUnavailableException}, whose message names every endpoint tried and the last
 * error. See {@link Retrier} for the exact order.
 *
 * <h2>Exactly-once writes</h2>
 * Every write (put, delete, compare-and-set) carries a (client id, sequence) pair, and every
 * retry of it the same pair, so a write retried after a lost reply or a leader change is
 * applied once: the server keeps, per client id, the last sequence it applied and its result,
 * and answers a repeat of that sequence with the stored result.
 *
 * <p>Because the server keeps only the last sequence per client id, a client id must never
 * have two writes in flight: if write n+1 were applied first, a retry of write n would be
 * refused as stale. So "client id" on the wire is a <em>write session</em>: this client owns a
 * small pool of them (random non-zero 64-bit ids, at most {@link Builder#writeSessionsMax},
 * created on demand), and each write holds one session from its first attempt until it is
 * finished, numbering itself with that session's next sequence. Concurrent writes thus use
 * distinct sessions, and a session's writes are strictly sequential. A client used from one
 * thread uses one session, with sequences 1, 2, 3. When every session is busy, further writes
 * wait for one (until their own deadline). Reads carry no session.
 *
 * <p>A write that fails with {@link CairnUnavailableException} may or may not have been
 * applied; retrying it is a new write. Its session moves on to the next sequence, so any late
 * copy of the abandoned attempt is refused by the server as stale rather than applied later.
 *
 * <h2>Errors</h2>
 * Bad arguments, found here (empty or over-long key, over-long value, negative TTL) or by the
 * server (INVALID_ARGUMENT, naming field, limit and value), throw
 * {@link IllegalArgumentException} and are never retried; when found here, nothing is sent.
 * A compare-and-set that finds another version throws {@link CasFailedException}; a fenced
 * write or a release whose token is no longer the lock's grant throws
 * {@link StaleTokenException}. Async methods
 * complete their future exceptionally with these; the blocking twins throw them.
 *
 * <h2>Threads</h2>
 * The futures of the async methods complete on the client's network threads, so that a
 * response costs no hand-over to another thread. Callbacks attached with {@code thenApply} and
 * the like run there too and must not block; hand blocking work to an executor of your own
 * ({@code thenApplyAsync(f, executor)}).
 */
public final class CairnClient implements AutoCloseable {
    /** The most bytes a lock owner may have (the server's limit). */
    public static final int LOCK_OWNER_BYTES_MAX = 256;
    public static final Duration REQUEST_TIMEOUT_DEFAULT = Duration.ofSeconds(5);
    /** The most keys one multi-get may ask for: the server's default scan limit. */
    public static final int MULTI_GET_KEYS_MAX = 10_000;
    public static final Duration ATTEMPT_TIMEOUT_DEFAULT = Duration.ofSeconds(2);
    public static final Duration BACKOFF_INITIAL_DEFAULT = Duration.ofMillis(20);
    public static final Duration BACKOFF_MAX_DEFAULT = Duration.ofMillis(500);
    public static final int WRITE_SESSIONS_MAX_DEFAULT = 64;
    public static final int WRITES_WAITING_MAX_DEFAULT = 10_000;
    /** The server's default key limit (kv-state {@code Limits}): 4 KiB. */
    public static final int KEY_BYTES_MAX_DEFAULT = 4 * 1024;
    /** The server's default value limit (kv-state {@code Limits}): 1 MiB. */
    public static final int VALUE_BYTES_MAX_DEFAULT = 1024 * 1024;
    /** The server's TTL bound: 100 years. */
    public static final long TTL_MILLIS_MAX = 100L * 365 * 24 * 3600 * 1000;

    private final Endpoints endpoints;
    private final Retrier retrier;
    private final SessionPool sessions;
    private final StatusCollector statusCollector;
    private final long requestTimeoutMillis;
    /** Who holds the locks this client takes without naming an owner: random, one per client. */
    private final byte[] lockOwner = new byte[16];
    private final int keyBytesMax;
    private final int valueBytesMax;
    private final ReplicaBalancer balancer;
    private final ReplicaDirectory directory;
    /** The TLS files this client reloads; null when it was given none. */
    private final io.cairn.client.Tls tls;

    private CairnClient(Builder b) {
        this.requestTimeoutMillis = b.requestTimeout.toMillis();
        this.keyBytesMax = b.keyBytesMax;
        this.valueBytesMax = b.valueBytesMax;
        int connectTimeoutMillis = (int) Math.min(b.attemptTimeout.toMillis(), Integer.MAX_VALUE);
        this.tls = b.tlsFiles == null ? null : io.cairn.client.Tls.load(b.tlsFiles,
                io.cairn.client.Tls.RELOAD_EVERY_DEFAULT);
        io.grpc.ChannelCredentials credentials = tls != null ? tls.channelCredentials()
                : b.channelCredentials != null ? b.channelCredentials : io.grpc.InsecureChannelCredentials.create();
        Login login = b.user == null ? null : new Login(b.user, b.password, System::currentTimeMillis);
        this.endpoints = new Endpoints(b.endpoints, connectTimeoutMillis, credentials, login);
        this.retrier = new Retrier(endpoints, b.attemptTimeout.toMillis(), b.backoffInitial.toMillis(),
                b.backoffMax.toMillis());
        SecureRandom random = new SecureRandom();
        random.nextBytes(lockOwner);
        this.sessions = new SessionPool(b.writeSessionsMax, b.writesWaitingMax, random::nextLong);
        this.statusCollector = new StatusCollector(endpoints, retrier);
        this.balancer = new ReplicaBalancer(b.readBalancing, b.replicaWeights, System::nanoTime);
        this.directory = new ReplicaDirectory(this::fetchReplicas, System::nanoTime);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The configured endpoints, trimmed and without duplicates. */
    public List<String> endpoints() {
        return endpoints.configured();
    }

    // ---- put ----------------------------------------------------------------------------

    public CompletableFuture<WriteResult> putAsync(byte[] key, byte[] value) {
        return putAsync(key, value, Duration.ZERO);
    }

    /** Sets {@code key} to {@code value}; a non-zero {@code ttl} makes it expire (ms precision). */
    public CompletableFuture<WriteResult> putAsync(byte[] key, byte[] value, Duration ttl) {
        checkKey(key);
        checkValue(value);
        long ttlMillis = ttlMillis(ttl);
        ByteString k = ByteString.copyFrom(key);
        ByteString v = ByteString.copyFrom(value);
        return write("put", key, KvGrpc.getPutMethod(),
                (clientId, sequence) -> PutRequest.newBuilder().setKey(k).setValue(v).setTtlMs(ttlMillis)
                        .setClientId(clientId).setSequence(sequence).build(),
                PutResponse::getHeader)
                .thenApply(r -> new WriteResult(r.getModRevision(), r.getVersion(), r.getHeader().getNodeId()));
    }

    public WriteResult put(byte[] key, byte[] value) {
        return join(putAsync(key, value));
    }

    public WriteResult put(byte[] key, byte[] value, Duration ttl) {
        return join(putAsync(key, value, ttl));
    }

    public WriteResult put(String key, String value) {
        return put(utf8(key), utf8(value));
    }

    public WriteResult put(String key, String value, Duration ttl) {
        return put(utf8(key), utf8(value), ttl);
    }

    // ---- get ----------------------------------------------------------------------------

    public CompletableFuture<Optional<KeyValue>> getAsync(byte[] key) {
        return getAsync(key, Consistency.LINEARIZABLE);
    }

    /** The key's current value, or empty when it is absent (or expired). */
    public CompletableFuture<Optional<KeyValue>> getAsync(byte[] key, Consistency consistency) {
        checkKey(key);
        required(consistency);
        GetRequest request = GetRequest.newBuilder().setKey(ByteString.copyFrom(key))
                .setConsistency(consistency.toProto()).setMaxStalenessMs(consistency.maxStalenessMillis()).build();
        return readAt(consistency, key, "get", endpoints.groupOf(key), KvGrpc.getGetMethod(), request, GetResponse::getHeader)
                .thenApply(r -> r.hasKv() ? Optional.of(toKeyValue(r.getKv(), r.getHeader())) : Optional.empty());
    }

    public Optional<KeyValue> get(byte[] key) {
        return join(getAsync(key));
    }

    public Optional<KeyValue> get(byte[] key, Consistency consistency) {
        return join(getAsync(key, consistency));
    }

    public Optional<KeyValue> get(String key) {
        return get(utf8(key));
    }

    public Optional<KeyValue> get(String key, Consistency consistency) {
        return get(utf8(key), consistency);
    }

    // ---- multi-get ----------------------------------------------------------------------

    /**
     * Reads many keys at once, each shard's keys in one request to that shard's leader, all
     * shards in parallel. The result has one entry per key asked, in order: empty where the key
     * is absent. At most {@link #MULTI_GET_KEYS_MAX} keys per call (the server's scan limit).
     */
    public CompletableFuture<List<Optional<KeyValue>>> multiGetAsync(List<byte[]> keys, Consistency consistency) {
        if (keys == null || keys.size() > MULTI_GET_KEYS_MAX) {
            throw new IllegalArgumentException("multiGet takes 0 to " + MULTI_GET_KEYS_MAX + " keys, got "
                    + (keys == null ? "null" : keys.size()));
        }
        required(consistency);
        java.util.TreeMap<Long, MultiGetRequest.Builder> byGroup = new java.util.TreeMap<>();
        for (byte[] key : keys) {
            checkKey(key);
            byGroup.computeIfAbsent(endpoints.groupOf(key), g -> MultiGetRequest.newBuilder()
                    .setConsistency(consistency.toProto()).setMaxStalenessMs(consistency.maxStalenessMillis()))
                    .addKeys(ByteString.copyFrom(key));
        }
        List<CompletableFuture<MultiGetResponse>> parts = new ArrayList<>();
        byGroup.forEach((group, request) -> parts.add(readAt(consistency, request.getKeys(0).toByteArray(), "multi-get",
                group, KvGrpc.getMultiGetMethod(), request.build(), MultiGetResponse::getHeader)));
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> {
            java.util.HashMap<ByteString, KeyValue> found = new java.util.HashMap<>();
            for (CompletableFuture<MultiGetResponse> p : parts) {
                MultiGetResponse r = p.join();
                r.getKvsList().forEach(kv -> found.put(kv.getKey(), toKeyValue(kv, r.getHeader())));
            }
            List<Optional<KeyValue>> out = new ArrayList<>(keys.size());
            keys.forEach(k -> out.add(Optional.ofNullable(found.get(ByteString.copyFrom(k)))));
            return out;
        });
    }

    public List<Optional<KeyValue>> multiGet(List<byte[]> keys) {
        return multiGet(keys, Consistency.LINEARIZABLE);
    }

    public List<Optional<KeyValue>> multiGet(List<byte[]> keys, Consistency consistency) {
        return join(multiGetAsync(keys, consistency));
    }

    public List<Optional<KeyValue>> multiGet(String... keys) {
        List<byte[]> bytes = new ArrayList<>(keys.length);
        for (String k : keys) {
            bytes.add(utf8(k));
        }
        return multiGet(bytes);
    }

    // ---- delete -------------------------------------------------------------------------

    /** Removes the key; true when it existed. */
    public CompletableFuture<Boolean> deleteAsync(byte[] key) {
        checkKey(key);
        ByteString k = ByteString.copyFrom(key);
        return write("delete", key, KvGrpc.getDeleteMethod(),
                (clientId, sequence) -> DeleteRequest.newBuilder().setKey(k)
                        .setClientId(clientId).setSequence(sequence).build(),
                DeleteResponse::getHeader)
                .thenApply(DeleteResponse::getDeleted);
    }

    public boolean delete(byte[] key) {
        return join(deleteAsync(key));
    }

    public boolean delete(String key) {
        return delete(utf8(key));
    }

    // ---- TTL ----------------------------------------------------------------------------

    /**
     * Gives a live key a TTL of {@code ttl} from when the change applies (ms precision), keeping
     * its value; {@link Duration#ZERO} removes its TTL ({@link #persist}). A TTL change is a write
     * of the key: its version and mod revision move, and watchers see a PUT. Completes with false
     * when the key is absent (or expired): nothing changed.
     */
    public CompletableFuture<Boolean> expireAsync(byte[] key, Duration ttl) {
        checkKey(key);
        long ttlMillis = ttlMillis(ttl);
        ByteString k = ByteString.copyFrom(key);
        return write("expire", key, KvGrpc.getExpireMethod(),
                (clientId, sequence) -> io.cairn.api.proto.ExpireRequest.newBuilder().setKey(k).setTtlMs(ttlMillis)
                        .setClientId(clientId).setSequence(sequence).build(),
                io.cairn.api.proto.ExpireResponse::getHeader)
                .thenApply(io.cairn.api.proto.ExpireResponse::getExisted);
    }

    public boolean expire(byte[] key, Duration ttl) {
        return join(expireAsync(key, ttl));
    }

    public boolean expire(String key, Duration ttl) {
        return expire(utf8(key), ttl);
    }

    /** Removes a live key's TTL, so it never expires; false when the key is absent. */
    public boolean persist(byte[] key) {
        return expire(key, Duration.ZERO);
    }

    public boolean persist(String key) {
        return persist(utf8(key));
    }

    /**
     * How long {@code key} has left, read linearizably and measured by the serving node's clock:
     * empty when the key is absent, {@link Duration#ZERO} when it has no TTL.
     */
    public Optional<Duration> ttl(byte[] key) {
        return get(key).map(kv -> Duration.ofMillis(kv.ttlRemainingMillis()));
    }

    public Optional<Duration> ttl(String key) {
        return ttl(utf8(key));
    }

    // ---- compare-and-set ----------------------------------------------------------------

    public CompletableFuture<Long> compareAndSetAsync(byte[] key, long expectedVersion, byte[] value) {
        return compareAndSetAsync(key, expectedVersion, value, Duration.ZERO);
    }

    /**
     * Writes {@code value} only if the key's version is {@code expectedVersion} (0: the key must
     * be absent). Completes with the key's new version, or fails with {@link CasFailedException}
     * carrying the version found.
     */
    public CompletableFuture<Long> compareAndSetAsync(byte[] key, long expectedVersion, byte[] value, Duration ttl) {
        checkKey(key);
        checkValue(value);
        if (expectedVersion < 0) {
            throw new IllegalArgumentException("expected version must not be negative: " + expectedVersion);
        }
        long ttlMillis = ttlMillis(ttl);
        ByteString k = ByteString.copyFrom(key);
        ByteString v = ByteString.copyFrom(value);
        return write("compare-and-set", key, KvGrpc.getCompareAndSetMethod(),
                (clientId, sequence) -> CompareAndSetRequest.newBuilder().setKey(k)
                        .setExpectedVersion(expectedVersion).setValue(v).setTtlMs(ttlMillis)
                        .setClientId(clientId).setSequence(sequence).build(),
                CompareAndSetResponse::getHeader)
                .thenApply(CompareAndSetResponse::getVersion);
    }

    public long compareAndSet(byte[] key, long expectedVersion, byte[] value) {
        return join(compareAndSetAsync(key, expectedVersion, value));
    }

    public long compareAndSet(String key, long expectedVersion, String value) {
        return compareAndSet(utf8(key), expectedVersion, utf8(value));
    }

    // ---- transactions -------------------------------------------------------------------

    /** An etcd-style transaction (if / then / else) on the keys of one shard; see {@link Txn}. */
    public Txn txn() {
        return new Txn(this);
    }

    /** An optimistic serializable transaction on the keys of one shard; see {@link Transaction}. */
    public Transaction begin() {
        return new Transaction(this);
    }

    /** How often {@link #inTransaction} runs a body that keeps meeting conflicts. */
    public static final int TRANSACTION_ATTEMPTS_DEFAULT = 10;

    /**
     * Runs {@code body} in a fresh {@link Transaction} and commits it, again from the start after
     * each {@link TransactionConflictException} (with a growing, jittered pause), at most
     * {@link #TRANSACTION_ATTEMPTS_DEFAULT} times; the last conflict is thrown. The body must
     * be safe to run more than once: all its effects go through the transaction.
     */
    public <T> T inTransaction(java.util.function.Function<Transaction, T> body) {
        return runTransaction(body, false);
    }

    /**
     * {@link #inTransaction}, and also again after a commit whose outcome is unknown
     * ({@link CairnUnavailableException}: it may or may not have applied). Only for a body marked
     * idempotent by its caller: one whose writes leave the same state if applied twice (it sets
     * values, it does not add to them), so applying it once more is harmless. The attempts are
     * shared, {@link #TRANSACTION_ATTEMPTS_DEFAULT} in all; the last failure is thrown.
     */
    public <T> T inIdempotentTransaction(java.util.function.Function<Transaction, T> body) {
        return runTransaction(body, true);
    }

    private <T> T runTransaction(java.util.function.Function<Transaction, T> body, boolean idempotent) {
        RuntimeException last = null;
        for (int attempt = 0; attempt < TRANSACTION_ATTEMPTS_DEFAULT; attempt++) {
            try (Transaction tx = begin()) {
                T value = body.apply(tx);
                tx.commit();
                return value;
            } catch (TransactionConflictException e) {
                last = e;
            } catch (CairnUnavailableException e) {
                if (!idempotent) {
                    throw e;
                }
                last = e;
            }
            long capMillis = Math.min(BACKOFF_MAX_DEFAULT.toMillis(), BACKOFF_INITIAL_DEFAULT.toMillis() << attempt);
            pause(java.util.concurrent.ThreadLocalRandom.current().nextLong(capMillis + 1));
        }
        throw last;
    }

    /** Sends a built transaction to the shard of {@code firstKey}, exactly once. */
    CompletableFuture<io.cairn.api.proto.TxnResponse> transact(byte[] firstKey, io.cairn.api.proto.TxnRequest.Builder request) {
        return write("txn", firstKey, KvGrpc.getTxnMethod(),
                (clientId, sequence) -> request.setClientId(clientId).setSequence(sequence).build(),
                io.cairn.api.proto.TxnResponse::getHeader);
    }

    /**
     * The rounds of a cross-shard commit, carried by this client: each a write to the shard's
     * leader, exactly once, with the client's retries ({@link TxnCoordinator}).
     */
    TxnCoordinator.Rounds txnRounds() {
        return new TxnCoordinator.Rounds() {
            @Override
            public int shardOf(byte[] key) {
                return CairnClient.this.shardOf(key);
            }

            @Override
            public CompletableFuture<TxnCoordinator.Prepared> prepare(byte[] txnId, byte[] primaryKey,
                                                                      List<Compare> compares, List<TxnOp> writes,
                                                                      boolean lockReads) {
                return CairnClient.this.prepare(txnId, primaryKey, compares, writes, lockReads);
            }

            @Override
            public CompletableFuture<TxnCoordinator.Decision> decide(byte[] txnId, byte[] primaryKey, boolean commit,
                                                                     List<byte[]> intentKeys) {
                return CairnClient.this.decide(txnId, primaryKey, commit, intentKeys);
            }

            @Override
            public CompletableFuture<Long> resolve(byte[] txnId, boolean commit, List<byte[]> keys) {
                return CairnClient.this.resolve(txnId, commit, keys);
            }

            @Override
            public CompletableFuture<Boolean> forget(byte[] txnId, byte[] primaryKey) {
                return CairnClient.this.forget(txnId, primaryKey);
            }
        };
    }

    private static final java.security.SecureRandom TXN_IDS = new java.security.SecureRandom();

    /** A fresh id for a cross-shard transaction: 16 random bytes. */
    static byte[] newTxnId() {
        byte[] id = new byte[16];
        TXN_IDS.nextBytes(id);
        return id;
    }

    /** A cross-shard transaction's part in one shard (every key of it hashes there). */
    private CompletableFuture<TxnCoordinator.Prepared> prepare(byte[] txnId, byte[] primaryKey, List<Compare> compares,
                                                               List<TxnOp> writes, boolean lockReads) {
        io.cairn.api.proto.TxnPrepareRequest.Builder request = io.cairn.api.proto.TxnPrepareRequest.newBuilder()
                .setTxnId(ByteString.copyFrom(txnId)).setPrimaryKey(ByteString.copyFrom(primaryKey))
                .setLockReads(lockReads);
        compares.forEach(c -> request.addCompare(c.toProto()));
        writes.forEach(w -> request.addWrite(Txn.toProto(w)));
        byte[] firstKey = compares.isEmpty() ? writes.get(0).key() : compares.get(0).key();
        return write("txn prepare", firstKey, io.cairn.api.proto.TxnGrpc.getPrepareMethod(),
                (clientId, sequence) -> request.setClientId(clientId).setSequence(sequence).build(),
                io.cairn.api.proto.TxnPrepareResponse::getHeader)
                .thenApply(r -> r.getPrepared() ? TxnCoordinator.Prepared.held()
                        : r.getAlreadyDecided() ? TxnCoordinator.Prepared.decidedBefore()
                        : TxnCoordinator.Prepared.compareFailed(r.getFailedCompare()));
    }

    /**
     * Records a transaction's outcome in the shard of its primary key, unless one is recorded;
     * answers the recorded one. A commit names every key the transaction holds intents on, so the
     * servers can finish it if this client cannot.
     */
    private CompletableFuture<TxnCoordinator.Decision> decide(byte[] txnId, byte[] primaryKey, boolean commit, List<byte[]> intentKeys) {
        ByteString id = ByteString.copyFrom(txnId);
        ByteString primary = ByteString.copyFrom(primaryKey);
        List<ByteString> keys = intentKeys.stream().map(ByteString::copyFrom).toList();
        return write("txn decide", primaryKey, io.cairn.api.proto.TxnGrpc.getDecideMethod(),
                (clientId, sequence) -> io.cairn.api.proto.TxnDecideRequest.newBuilder().setTxnId(id)
                        .setPrimaryKey(primary).setCommit(commit).addAllIntentKeys(keys).setClientId(clientId)
                        .setSequence(sequence).build(),
                io.cairn.api.proto.TxnDecideResponse::getHeader)
                .thenApply(r -> r.getOutcomeUnknown() ? TxnCoordinator.Decision.FORGOTTEN
                        : r.getCommitted() ? TxnCoordinator.Decision.COMMITTED : TxnCoordinator.Decision.ABORTED);
    }

    /** Removes a transaction's record, in the shard of its primary key, once its intents are resolved. */
    private CompletableFuture<Boolean> forget(byte[] txnId, byte[] primaryKey) {
        ByteString id = ByteString.copyFrom(txnId);
        ByteString primary = ByteString.copyFrom(primaryKey);
        return write("txn forget", primaryKey, io.cairn.api.proto.TxnGrpc.getForgetMethod(),
                (clientId, sequence) -> io.cairn.api.proto.TxnForgetRequest.newBuilder().setTxnId(id)
                        .setPrimaryKey(primary).setClientId(clientId).setSequence(sequence).build(),
                io.cairn.api.proto.TxnForgetResponse::getHeader)
                .thenApply(io.cairn.api.proto.TxnForgetResponse::getForgotten);
    }

    /** Resolves a decided transaction's intents on {@code keys}, which share one shard. */
    private CompletableFuture<Long> resolve(byte[] txnId, boolean commit, List<byte[]> keys) {
        io.cairn.api.proto.TxnResolveRequest.Builder b = io.cairn.api.proto.TxnResolveRequest.newBuilder()
                .setTxnId(ByteString.copyFrom(txnId)).setCommit(commit);
        keys.forEach(k -> b.addKeys(ByteString.copyFrom(k)));
        return write("txn resolve", keys.get(0), io.cairn.api.proto.TxnGrpc.getResolveMethod(),
                (clientId, sequence) -> b.setClientId(clientId).setSequence(sequence).build(),
                io.cairn.api.proto.TxnResolveResponse::getHeader)
                .thenApply(r -> r.getHeader().getAppliedIndex());
    }

    // ---- fenced writes ------------------------------------------------------------------

    /** {@link #put(byte[], byte[])} that applies only while {@code fence}'s token is its lock's grant. */
    public CompletableFuture<WriteResult> putAsync(byte[] key, byte[] value, Duration ttl, Fence fence) {
        return fencedPut(key, value, ttl, fence, false);
    }

    /**
     * A fenced put that also releases the fence's grant in the same entry ({@link SessionLock#putAndUnlock});
     * the answer says whether the server did release it. Checks its arguments before it sends anything.
     */
    CompletableFuture<PutResponse> putReleasing(byte[] key, byte[] value, Fence fence) {
        return fencedPutResponse(key, value, Duration.ZERO, fence, true);
    }

    private CompletableFuture<WriteResult> fencedPut(byte[] key, byte[] value, Duration ttl, Fence fence, boolean release) {
        return fencedPutResponse(key, value, ttl, fence, release)
                .thenApply(r -> new WriteResult(r.getModRevision(), r.getVersion(), r.getHeader().getNodeId()));
    }

    private CompletableFuture<PutResponse> fencedPutResponse(byte[] key, byte[] value, Duration ttl, Fence fence,
                                                           boolean release) {
        checkKey(key);
        checkValue(value);
        io.cairn.api.proto.Fence f = requireFence(fence).toProto(release);
        long ttlMillis = ttlMillis(ttl);
        ByteString k = ByteString.copyFrom(key);
        ByteString v = ByteString.copyFrom(value);
        return write(release ? "fenced put and unlock" : "fenced put", key, KvGrpc.getPutMethod(),
                (clientId, sequence) -> PutRequest.newBuilder().setKey(k).setValue(v).setTtlMs(ttlMillis).setFence(f)
                        .setClientId(clientId).setSequence(sequence).build(),
                PutResponse::getHeader);
    }

    public WriteResult put(byte[] key, byte[] value, Fence fence) {
        return join(putAsync(key, value, Duration.ZERO, fence));
    }

    /** {@link #delete(byte[])} under a fence; true when the key existed. */
    public boolean delete(byte[] key, Fence fence) {
        checkKey(key);
        io.cairn.api.proto.Fence f = requireFence(fence).toProto();
        ByteString k = ByteString.copyFrom(key);
        return join(write("fenced delete", key, KvGrpc.getDeleteMethod(),
                (clientId, sequence) -> DeleteRequest.newBuilder().setKey(k).setFence(f)
                        .setClientId(clientId).setSequence(sequence).build(),
                DeleteResponse::getHeader)
                .thenApply(DeleteResponse::getDeleted));
    }

    /** {@link #compareAndSet(byte[], long, byte[])} under a fence; returns the new version. */
    public long compareAndSet(byte[] key, long expectedVersion, byte[] value, Fence fence) {
        checkKey(key);
        checkValue(value);
        if (expectedVersion < 0) {
            throw new IllegalArgumentException("expected version must not be negative: " + expectedVersion);
        }
        io.cairn.api.proto.Fence f = requireFence(fence).toProto();
        ByteString k = ByteString.copyFrom(key);
        ByteString v = ByteString.copyFrom(value);
        return join(write("fenced compare-and-set", key, KvGrpc.getCompareAndSetMethod(),
                (clientId, sequence) -> CompareAndSetRequest.newBuilder().setKey(k).setExpectedVersion(expectedVersion)
                        .setValue(v).setFence(f).setClientId(clientId).setSequence(sequence).build(),
                CompareAndSetResponse::getHeader)
                .thenApply(CompareAndSetResponse::getVersion));
    }

    private Fence requireFence(Fence fence) {
        if (fence == null) {
            throw new IllegalArgumentException("a fenced write needs its fence");
        }
        checkKey(fence.lock());
        return fence;
    }

    // ---- locks --------------------------------------------------------------------------

    /**
     * Takes the lock {@code name} for this client until {@code ttl} after the shard leader
     * applies the request, or extends it (same token) if this client holds it already. Never
     * waits: {@link LockAttempt#acquired()} is false when another owner holds it. A lock is
     * free again once its TTL passes without an extension, whatever its holder believes: fence
     * the writes it guards ({@link LockAttempt#fence()}).
     */
    public CompletableFuture<LockAttempt> tryLockAsync(byte[] name, byte[] owner, Duration ttl) {
        checkKey(name);
        if (owner == null || owner.length == 0 || owner.length > LOCK_OWNER_BYTES_MAX) {
            throw new IllegalArgumentException("a lock owner is 1 to " + LOCK_OWNER_BYTES_MAX + " bytes");
        }
        long ttlMillis = ttlMillis(ttl);
        if (ttlMillis < 1) {
            throw new IllegalArgumentException("a lock needs a positive TTL, so that it is freed when its holder dies");
        }
        ByteString n = ByteString.copyFrom(name);
        ByteString o = ByteString.copyFrom(owner);
        return write("lock", name, io.cairn.api.proto.LockGrpc.getAcquireMethod(),
                (clientId, sequence) -> io.cairn.api.proto.AcquireRequest.newBuilder().setName(n).setOwner(o)
                        .setTtlMs(ttlMillis).setClientId(clientId).setSequence(sequence).build(),
                io.cairn.api.proto.AcquireResponse::getHeader)
                .thenApply(r -> new LockAttempt(name, r.getAcquired(), r.getGrant().getToken(),
                        r.getGrant().getExpiresAtMs()));
    }

    public LockAttempt tryLock(byte[] name, Duration ttl) {
        return join(tryLockAsync(name, lockOwner, ttl));
    }

    public LockAttempt tryLock(String name, Duration ttl) {
        return tryLock(utf8(name), ttl);
    }

    public LockAttempt tryLock(byte[] name, byte[] owner, Duration ttl) {
        return join(tryLockAsync(name, owner, ttl));
    }

    /** Releases the grant with {@code token}; {@link StaleTokenException} if it is not the current one. */
    public void unlock(byte[] name, long token) {
        checkKey(name);
        if (token < 1) {
            throw new IllegalArgumentException("a fencing token is positive: " + token);
        }
        ByteString n = ByteString.copyFrom(name);
        join(write("unlock", name, io.cairn.api.proto.LockGrpc.getReleaseMethod(),
                (clientId, sequence) -> io.cairn.api.proto.ReleaseRequest.newBuilder().setName(n).setToken(token)
                        .setClientId(clientId).setSequence(sequence).build(),
                io.cairn.api.proto.ReleaseResponse::getHeader));
    }

    public void unlock(String name, long token) {
        unlock(utf8(name), token);
    }

    /** The lock's current grant, read linearizably; empty when it is free. */
    public Optional<LockGrant> describeLock(byte[] name) {
        checkKey(name);
        io.cairn.api.proto.DescribeLockRequest request = io.cairn.api.proto.DescribeLockRequest.newBuilder()
                .setName(ByteString.copyFrom(name)).setConsistency(Consistency.LINEARIZABLE.toProto()).build();
        return join(read("describe lock", endpoints.groupOf(name), io.cairn.api.proto.LockGrpc.getDescribeMethod(),
                request, io.cairn.api.proto.DescribeLockResponse::getHeader)
                .thenApply(r -> r.hasGrant()
                        ? Optional.of(new LockGrant(r.getGrant().getName().toByteArray(), r.getGrant().getOwner().toByteArray(),
                                r.getGrant().getToken(), r.getGrant().getExpiresAtMs()))
                        : Optional.empty()));
    }

    /**
     * Opens a lock session with {@code ttl}: locks, semaphores and read-write locks taken through
     * it last until released or until the session ends, and may wait in line. The session is kept
     * alive in the background; see {@link LockSession}. Close it to release everything it holds.
     */
    public LockSession openSession(Duration ttl) {
        return openSession(ttl, Duration.ZERO);
    }

    /**
     * {@link #openSession(Duration)} with a lock delay: a lock the session holds when it expires
     * (not when it is closed) stays closed to others for {@code lockDelay}, so that a holder
     * that is merely slow is unlikely to overlap with the next one.
     */
    public LockSession openSession(Duration ttl, Duration lockDelay) {
        return LockSession.open(this, ttl, lockDelay);
    }

    /**
     * The locks of every shard that have holders or waiters, by shard then name, read
     * linearizably; at most {@code limitPerShard} per shard.
     */
    public List<LockInfo> listLocks(int limitPerShard) {
        if (limitPerShard < 1) {
            throw new IllegalArgumentException("limitPerShard must be positive: " + limitPerShard);
        }
        int shards = endpoints.shardCount();
        if (shards == 0) {
            shards = shards().shardCount();
            endpoints.shardCountIs(shards);
        }
        List<LockInfo> out = new ArrayList<>();
        for (int shard = 0; shard < shards; shard++) {
            ByteString from = ByteString.EMPTY;
            int listed = 0;
            while (listed < limitPerShard) {
                io.cairn.api.proto.ListLocksRequest req = io.cairn.api.proto.ListLocksRequest.newBuilder().setShard(shard)
                        .setFromName(from).setLimit(Math.min(limitPerShard - listed, MULTI_GET_KEYS_MAX))
                        .setConsistency(Consistency.LINEARIZABLE.toProto()).build();
                io.cairn.api.proto.ListLocksResponse r = join(read("list locks", Endpoints.FIRST_GROUP + shard,
                        io.cairn.api.proto.LockGrpc.getListMethod(), req, io.cairn.api.proto.ListLocksResponse::getHeader));
                r.getLocksList().forEach(l -> out.add(LockInfo.of(l)));
                listed += r.getLocksCount();
                if (r.getNextName().isEmpty()) {
                    break;
                }
                from = r.getNextName();
            }
        }
        return out;
    }

    /** A session's acquire of a lock entry; see {@link SessionLock}. */
    CompletableFuture<io.cairn.api.proto.AcquireResponse> acquireEntry(byte[] name, byte[] owner, long sessionId,
                                                                        long ttlMillis, int permits, int weight,
                                                                        boolean waits, long lockDelayMillis, byte[] value) {
        ByteString n = ByteString.copyFrom(name);
        ByteString o = ByteString.copyFrom(owner);
        ByteString v = ByteString.copyFrom(value);
        return write("lock", name, io.cairn.api.proto.LockGrpc.getAcquireMethod(),
                (clientId, sequence) -> io.cairn.api.proto.AcquireRequest.newBuilder().setName(n).setOwner(o)
                        .setTtlMs(ttlMillis).setSessionId(sessionId).setPermits(permits).setWeight(weight).setWait(waits)
                        .setLockDelayMs(lockDelayMillis).setValue(v).setClientId(clientId).setSequence(sequence).build(),
                io.cairn.api.proto.AcquireResponse::getHeader);
    }

    /** Withdraws a session's entry; answers the released grant's token (0: it was waiting). */
    CompletableFuture<Long> releaseEntry(byte[] name, byte[] owner, long sessionId) {
        ByteString n = ByteString.copyFrom(name);
        ByteString o = ByteString.copyFrom(owner);
        return write("unlock", name, io.cairn.api.proto.LockGrpc.getReleaseMethod(),
                (clientId, sequence) -> io.cairn.api.proto.ReleaseRequest.newBuilder().setName(n).setOwner(o)
                        .setSessionId(sessionId).setClientId(clientId).setSequence(sequence).build(),
                io.cairn.api.proto.ReleaseResponse::getHeader).thenApply(io.cairn.api.proto.ReleaseResponse::getToken);
    }

    /** Replaces what a session's held entry proclaims; answers its token. */
    CompletableFuture<Long> proclaimEntry(byte[] name, byte[] owner, long sessionId, byte[] value) {
        checkValue(value);
        ByteString n = ByteString.copyFrom(name);
        ByteString o = ByteString.copyFrom(owner);
        ByteString v = ByteString.copyFrom(value);
        return write("proclaim", name, io.cairn.api.proto.LockGrpc.getProclaimMethod(),
                (clientId, sequence) -> io.cairn.api.proto.ProclaimRequest.newBuilder().setName(n).setOwner(o).setValue(v)
                        .setSessionId(sessionId).setClientId(clientId).setSequence(sequence).build(),
                io.cairn.api.proto.ProclaimResponse::getHeader).thenApply(io.cairn.api.proto.ProclaimResponse::getToken);
    }

    /** Ends the session in the shard of lock {@code name}. */
    CompletableFuture<Integer> endSessionIn(byte[] name, long sessionId) {
        ByteString n = ByteString.copyFrom(name);
        return write("end session", name, io.cairn.api.proto.LockGrpc.getEndSessionMethod(),
                (clientId, sequence) -> io.cairn.api.proto.EndSessionRequest.newBuilder().setName(n).setSessionId(sessionId)
                        .setClientId(clientId).setSequence(sequence).build(),
                io.cairn.api.proto.EndSessionResponse::getHeader).thenApply(io.cairn.api.proto.EndSessionResponse::getEntries);
    }

    Endpoints endpointsForSessions() {
        return endpoints;
    }

    /**
     * This client's channel to the node at {@code address} (one of {@link #members()}' or the
     * status's addresses), with the client's TLS and login, for tools that speak the gRPC API of
     * {@code cairn.proto} directly, such as a proxy keeping many sessions alive. The node serves
     * what it is sent itself: a request for a shard it does not lead fails with NOT_LEADER
     * rather than being forwarded. The client owns the channel: do not shut it down; it closes
     * with the client.
     */
    public io.grpc.Channel channelTo(String address) {
        return endpoints.channel(address);
    }

    long requestTimeoutMillis() {
        return requestTimeoutMillis;
    }

    /** The lock's holders and waiters, read linearizably; empty when it has none. */
    public Optional<LockInfo> lockInfo(byte[] name) {
        checkKey(name);
        io.cairn.api.proto.DescribeLockRequest request = io.cairn.api.proto.DescribeLockRequest.newBuilder()
                .setName(ByteString.copyFrom(name)).setConsistency(Consistency.LINEARIZABLE.toProto()).build();
        return join(read("describe lock", endpoints.groupOf(name), io.cairn.api.proto.LockGrpc.getDescribeMethod(),
                request, io.cairn.api.proto.DescribeLockResponse::getHeader)
                .thenApply(r -> r.hasState() ? Optional.of(LockInfo.of(r.getState())) : Optional.empty()));
    }

    // ---- scan ---------------------------------------------------------------------------

    /** One page of keys; follow {@link ScanPage#hasMore()} with {@link ScanQuery#after}. */
    public CompletableFuture<ScanPage> scanAsync(ScanQuery query) {
        ScanRequest.Builder request = ScanRequest.newBuilder()
                .setLimit(query.limit())
                .setPageToken(ByteString.copyFrom(query.pageToken()))
                .setConsistency(query.consistency().toProto())
                .setMaxStalenessMs(query.consistency().maxStalenessMillis());
        if (query.kind() == ScanQuery.Kind.PREFIX && query.from().length > 0) {
            request.setPrefix(ByteString.copyFrom(query.from()));
        } else if (query.kind() == ScanQuery.Kind.RANGE && (query.from().length > 0 || query.toExclusive().length > 0)) {
            request.setKeyRange(KeyRange.newBuilder().setStart(ByteString.copyFrom(query.from()))
                    .setEnd(ByteString.copyFrom(query.toExclusive())));
        }
        int shards = endpoints.shardCount();
        if (shards > 1) {
            return scanShards(request, 0, shards, null);
        }
        // The first scan of a client that has not learnt the shard count reads shard 0; its
        // header says whether there are more to read.
        return scanGroup(request, Endpoints.FIRST_GROUP).thenCompose(first -> {
            int count = first.getHeader().getShardCount();
            return count <= 1
                    ? CompletableFuture.completedFuture(toPage(first))
                    : scanShards(request, 1, count, first);
        });
    }

    /** Scans shards [from, count) in parallel and merges them with {@code shard0} if given. */
    private CompletableFuture<ScanPage> scanShards(ScanRequest.Builder request, int from, int count,
                                                   ScanResponse shard0) {
        List<CompletableFuture<ScanResponse>> parts = new ArrayList<>();
        if (shard0 != null) {
            parts.add(CompletableFuture.completedFuture(shard0));
        }
        for (int shard = from; shard < count; shard++) {
            parts.add(scanGroup(request, Endpoints.FIRST_GROUP + shard));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<ScanPage> pages = parts.stream().map(f -> toPage(f.join())).toList();
            return ScanPage.merge(pages, request.getLimit());
        });
    }

    private CompletableFuture<ScanResponse> scanGroup(ScanRequest.Builder request, long group) {
        Consistency consistency = consistencyOf(request);
        return readAt(consistency, request.getPrefix().toByteArray(), "scan", group, KvGrpc.getScanMethod(),
                request.clone().setGroupId(group).build(), ScanResponse::getHeader);
    }

    private static ScanPage toPage(ScanResponse r) {
        List<KeyValue> kvs = new ArrayList<>(r.getKvsCount());
        r.getKvsList().forEach(kv -> kvs.add(toKeyValue(kv, r.getHeader())));
        return new ScanPage(kvs, r.getNextPageToken().toByteArray());
    }

    public ScanPage scan(ScanQuery query) {
        return join(scanAsync(query));
    }

    // ---- cluster status -----------------------------------------------------------------

    /**
     * Asks every member for its own status: first the configured endpoints, then any member
     * their answers list that was not among them. Fails with {@link CairnUnavailableException}
     * only when no endpoint answers at all; members that do not answer are
     * {@link ClusterStatus.Role#UNREACHABLE}.
     */
    public CompletableFuture<ClusterStatus> clusterStatusAsync() {
        return statusCollector.collect(StatusCollector.GROUP_DEFAULT, deadlineNanos(), requestTimeoutMillis);
    }

    /**
     * Asks every configured endpoint for its view of the shards and merges them (see
     * {@link ShardsReport}). Fails with {@link CairnUnavailableException} when none answers.
     */
    public CompletableFuture<ShardsReport> shardsAsync() {
        long deadline = deadlineNanos();
        List<CompletableFuture<ShardsResponse>> asked = new ArrayList<>();
        for (String address : endpoints.configured()) {
            asked.add(retrier.once(address, ClusterGrpc.getShardsMethod(), ShardsRequest.getDefaultInstance(), deadline)
                    .exceptionally(e -> null));
        }
        return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<ShardsResponse> answers = asked.stream().map(CompletableFuture::join).filter(r -> r != null).toList();
            if (answers.isEmpty()) {
                throw new CairnUnavailableException("no endpoint answered " + endpoints.configured()
                        + " within " + requestTimeoutMillis + " ms", endpoints.configured(), null);
            }
            return mergeShardViews(answers);
        });
    }

    public ShardsReport shards() {
        return join(shardsAsync());
    }

    static ShardsReport mergeShardViews(List<ShardsResponse> answers) {
        int shardCount = answers.get(0).getShardCount();
        List<ShardsReport.Shard> shards = new ArrayList<>();
        for (int i = 0; i < shardCount; i++) {
            ShardView best = null;
            for (ShardsResponse a : answers) {
                if (i >= a.getShardsCount()) {
                    continue;
                }
                ShardView v = a.getShards(i);
                if (best == null || betterView(v, best)) {
                    best = v;
                }
            }
            shards.add(new ShardsReport.Shard(best.getShard(), best.getFirstSlot(), best.getEndSlotExclusive(),
                    best.getReplicasList(), best.getLeader(), best.getTerm(), best.getAppliedIndex(),
                    best.getSizeBytes()));
        }
        long epoch = answers.stream().mapToLong(ShardsResponse::getEpoch).max().orElse(0);
        return new ShardsReport(epoch, shardCount, shards, answers.stream().map(ShardsResponse::getNodeId).toList());
    }

    /** A leader's own view beats a follower's; then the higher term; then the more applied. */
    private static boolean betterView(ShardView v, ShardView best) {
        boolean vLeads = v.getRole() == Role.ROLE_LEADER;
        boolean bestLeads = best.getRole() == Role.ROLE_LEADER;
        if (vLeads != bestLeads) {
            return vLeads;
        }
        if (v.getTerm() != best.getTerm()) {
            return v.getTerm() > best.getTerm();
        }
        return v.getAppliedIndex() > best.getAppliedIndex();
    }

    /**
     * Runs an aggregation on every shard next to its data; any node runs it and merges the shards'
     * partial results (docs/aggregation.md). Throws IllegalArgumentException for an unknown
     * aggregator or bad parameters, {@link CairnException} when no consistent cut was found before
     * the deadline, {@link CairnUnavailableException} when no endpoint answered. Shards that did
     * not answer in time make the result {@link AggregateResult#partial()}, never a silent total.
     */
    public AggregateResult aggregate(AggregateQuery query) {
        return aggregate(query, part -> { });
    }

    /**
     * {@link #aggregate(AggregateQuery)}, telling {@code progress} each shard's part as it is read
     * (on this thread; a round that found no cut reads the shards again).
     */
    public AggregateResult aggregate(AggregateQuery query, java.util.function.Consumer<AggregateResult.Part> progress) {
        io.cairn.api.proto.AggregateRequest request = query.toProto();
        // The node bounds the run by the query's deadline; this leaves it time to answer.
        long deadline = System.nanoTime() + query.deadline().plusSeconds(5).toNanos();
        Throwable last = null;
        for (String address : endpoints.configured()) {
            boolean heard = false;
            try {
                java.util.Iterator<io.cairn.api.proto.AggregateProgress> stream = io.grpc.stub.ClientCalls
                        .blockingServerStreamingCall(endpoints.channel(address),
                                io.cairn.api.proto.AggregateGrpc.getRunWithProgressMethod(),
                                io.grpc.CallOptions.DEFAULT.withDeadlineAfter(deadline - System.nanoTime(),
                                        TimeUnit.NANOSECONDS), request);
                while (stream.hasNext()) {
                    io.cairn.api.proto.AggregateProgress p = stream.next();
                    heard = true;
                    if (p.hasResult()) {
                        return AggregateResult.fromProto(p.getResult());
                    }
                    progress.accept(AggregateResult.Part.fromProto(p.getPart()));
                }
                last = new CairnException(address + " ended the aggregation without a result");
            } catch (io.grpc.StatusRuntimeException e) {
                switch (e.getStatus().getCode()) {
                    case INVALID_ARGUMENT -> throw new IllegalArgumentException(e.getStatus().getDescription(), e);
                    case FAILED_PRECONDITION -> throw new CairnException(e.getStatus().getDescription(), e);
                    case PERMISSION_DENIED -> throw new AccessDeniedException(address + ": " + e.getStatus().getDescription(), e);
                    case UNAUTHENTICATED -> throw new AuthenticationException(address + ": " + e.getStatus().getDescription(), e);
                    default -> last = e;
                }
            }
            if (heard) {
                // The run had started there: another node would start it over, past the caller's deadline.
                break;
            }
        }
        throw new CairnUnavailableException("no endpoint ran the aggregation: " + last, endpoints.configured(), last);
    }

    /** Users, roles and the caller's own identity (clusters with authentication on). */
    public AccessControl access() {
        return new AccessControl(this, retrier, requestTimeoutMillis);
    }

    public ClusterStatus clusterStatus() {
        return join(clusterStatusAsync());
    }

    /**
     * Registers node {@code n<id>} at {@code address}; the placement driver then gives it its
     * share of replicas. Idempotent. Returns the membership epoch that has it.
     */
    public long addNode(long id, String address) {
        AddNodeRequest req = AddNodeRequest.newBuilder().setId(id).setAddress(Endpoints.checkAddress(address)).build();
        return membershipCall(stub -> stub.addNode(req)).getEpoch();
    }

    /**
     * Hands the leadership of Raft group {@code groupId} (shard + 1; 0 is the metadata group) to
     * node {@code n<targetId>}, one of its voters; returns once it leads. The request goes to the
     * group's leader, following hints.
     */
    public void transferLeader(long groupId, long targetId) {
        TransferLeaderRequest req = TransferLeaderRequest.newBuilder().setGroupId(groupId).setTargetId(targetId).build();
        join(retrier.call("transfer-leader", groupId, ClusterGrpc.getTransferLeaderMethod(), req,
                TransferLeaderResponse::getHeader, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(requestTimeoutMillis, 10_000)),
                Math.max(requestTimeoutMillis, 10_000)));
    }

    /**
     * Hands the id of node {@code n<id>}, which must be DEAD, to a new machine at
     * {@code address}. The metadata leader makes the change once every shard was rebuilt
     * without the old machine; the request is not remembered across a metadata leader change,
     * so a caller waiting for it repeats it (idempotent). Returns the epoch as of the request.
     */
    public long replaceNode(long id, String address) {
        AddNodeRequest req = AddNodeRequest.newBuilder().setId(id).setAddress(Endpoints.checkAddress(address)).build();
        return membershipCall(stub -> stub.replaceNode(req)).getEpoch();
    }

    /** Every member with its state and the shards it holds and leads, from the metadata leader. */
    public Members members() {
        io.cairn.api.proto.MembersResponse r = leaderCall(stub -> stub.members(io.cairn.api.proto.MembersRequest.getDefaultInstance()));
        List<Members.Member> out = new ArrayList<>();
        for (io.cairn.api.proto.MemberView v : r.getMembersList()) {
            io.cairn.api.proto.Member m = v.getMember();
            Members.State state = switch (m.getState()) {
                case MEMBER_DEAD -> Members.State.DEAD;
                case MEMBER_LEAVING -> Members.State.LEAVING;
                case MEMBER_REMOVED -> Members.State.REMOVED;
                default -> Members.State.UP;
            };
            out.add(new Members.Member(m.getId(), m.getAddress(), m.getZone(), state, v.getReplicas(), v.getLeads(),
                    v.getHeardRecently()));
        }
        return new Members(r.getEpoch(), r.getShardCount(), out, r.getShardsUnreported());
    }

    /**
     * Decommissions node {@code n<id>}: it becomes LEAVING, its replicas move to other nodes, then
     * it is REMOVED and may be stopped. Returns once it is LEAVING, with that epoch.
     */
    public long removeNode(long id) {
        RemoveNodeRequest req = RemoveNodeRequest.newBuilder().setId(id).build();
        return membershipCall(stub -> stub.removeNode(req)).getEpoch();
    }

    private MembershipResponse membershipCall(Function<ClusterGrpc.ClusterBlockingStub, MembershipResponse> call) {
        return leaderCall(call);
    }

    /**
     * Asks the endpoints in turn, following NOT_LEADER hints to the metadata leader, until one
     * answers or the request timeout (at least 30 s: membership changes are rare and slow) runs
     * out. A node that names itself as leader is one that was just elected and has not read the
     * membership yet: it is asked again after a pause.
     */
    private <R> R leaderCall(Function<ClusterGrpc.ClusterBlockingStub, R> call) {
        // A membership change answers once the metadata group wrote it (the driver waits up to
        // 15 s for that), so one attempt may take 20 s on a loaded machine.
        long timeoutMillis = Math.max(requestTimeoutMillis, 30_000);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        io.grpc.StatusRuntimeException last = null;
        java.util.ArrayDeque<String> targets = new java.util.ArrayDeque<>(endpoints.configured());
        java.util.LinkedHashSet<String> asked = new java.util.LinkedHashSet<>();
        while (System.nanoTime() < deadline) {
            if (targets.isEmpty()) {
                targets.addAll(endpoints.configured());
                pause(100);
            }
            String target = targets.poll();
            asked.add(target);
            long leftMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            ClusterGrpc.ClusterBlockingStub stub = ClusterGrpc.newBlockingStub(endpoints.channel(target))
                    .withDeadlineAfter(Math.min(leftMillis, Math.max(requestTimeoutMillis, 20_000)), TimeUnit.MILLISECONDS);
            try {
                return call.apply(stub);
            } catch (io.grpc.StatusRuntimeException e) {
                last = e;
                io.cairn.api.proto.ErrorDetail d = ErrorDetails.of(e);
                if (e.getStatus().getCode() == io.grpc.Status.Code.INVALID_ARGUMENT
                        || e.getStatus().getCode() == io.grpc.Status.Code.FAILED_PRECONDITION) {
                    throw new IllegalArgumentException(e.getStatus().getDescription());
                }
                if (e.getStatus().getCode() == io.grpc.Status.Code.PERMISSION_DENIED) {
                    throw new AccessDeniedException(target + ": " + e.getStatus().getDescription(), e);
                }
                if (e.getStatus().getCode() == io.grpc.Status.Code.UNAUTHENTICATED) {
                    throw new AuthenticationException(target + ": " + e.getStatus().getDescription(), e);
                }
                if (d != null && d.hasNotLeader() && !d.getNotLeader().getLeaderAddress().isEmpty()) {
                    String hint = d.getNotLeader().getLeaderAddress();
                    if (hint.equals(target)) {
                        pause(100);
                    }
                    targets.addFirst(hint);
                }
            }
        }
        throw new CairnUnavailableException("no metadata leader answered within " + timeoutMillis + " ms (asked " + asked
                + "): " + (last == null ? "" : last.getStatus().getCode() + " " + last.getStatus().getDescription()),
                endpoints.configured(), last);
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Watches {@code query}: {@code listener} gets every change of the keys asked for, each
     * shard's in revision order, from the revisions the query gives (else from the next change),
     * until {@link Watch#close}. Returns once every shard's stream answered, so a change made
     * after this returns is reported; fails with {@link CairnUnavailableException} when a shard
     * cannot be reached within the request timeout, and with {@link Watch.CompactedException} when
     * a start revision is older than the replicas keep. See {@link Watch} for reconnects.
     */
    public Watch watch(WatchQuery query, Watch.Listener listener) {
        int shards = endpoints.shardCount();
        if (shards == 0) {
            shards = shards().shardCount();
            endpoints.shardCountIs(shards);
        }
        io.cairn.api.proto.WatchRequest.Builder req = io.cairn.api.proto.WatchRequest.newBuilder()
                .setKey(ByteString.copyFrom(query.from));
        List<Integer> covered = new ArrayList<>();
        switch (query.kind) {
            case KEY -> covered.add((int) (endpoints.groupOf(query.from) - Endpoints.FIRST_GROUP));
            case PREFIX -> req.setPrefix(true);
            case RANGE -> req.setRangeEnd(ByteString.copyFrom(query.toExclusive));
        }
        if (covered.isEmpty()) {
            for (int s = 0; s < shards; s++) {
                covered.add(s);
            }
        }
        for (int shard : query.startRevisions.keySet()) {
            if (!covered.contains(shard)) {
                throw new IllegalArgumentException("the watch does not cover shard " + shard + " (covers " + covered + ")");
            }
        }
        Watch watch = new Watch(endpoints, req.build(), covered, query.startRevisions, listener);
        watch.start();
        try {
            boolean answered = watch.awaitEstablished(Math.max(requestTimeoutMillis, 1_000));
            if (watch.failure() != null) {
                throw watch.failure();
            }
            if (!answered) {
                watch.close();
                throw new CairnUnavailableException("the watch could not reach every shard within " + requestTimeoutMillis
                        + " ms", endpoints.configured(), null);
            }
        } catch (InterruptedException e) {
            watch.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the watch started", e);
        }
        return watch;
    }

    /** The shard {@code key} belongs to (asks the cluster for its shard count if not known yet). */
    /**
     * A cache of the keys under {@code prefix}, at most {@code maximumEntries} of them, kept fresh
     * by a watch on the prefix; reads through it are EVENTUAL. See {@link NearCache}. Close it
     * to stop its watch.
     */
    public NearCache nearCache(byte[] prefix, long maximumEntries) {
        if (prefix == null) {
            throw new IllegalArgumentException("prefix is required (it may be empty: every key)");
        }
        if (endpoints.shardCount() == 0) {
            endpoints.shardCountIs(shards().shardCount());
        }
        return new NearCache(this, prefix, maximumEntries, endpoints.shardCount());
    }

    public NearCache nearCache(String prefix, long maximumEntries) {
        return nearCache(utf8(prefix), maximumEntries);
    }

    /**
     * A near cache's miss: the key's value, how far the serving replica had applied, and this
     * process's {@link System#nanoTime} before the request left (what a TTL's time left counts from).
     */
    record CacheRead(Optional<KeyValue> value, long appliedIndex, long nanoTimeBefore) {}

    /** A near cache's miss, EVENTUAL from a replica its balancing picks, or LINEARIZABLE when {@code confirmed}. */
    CompletableFuture<CacheRead> readForNearCache(byte[] key, boolean confirmed) {
        checkKey(key);
        Consistency level = confirmed ? Consistency.LINEARIZABLE : Consistency.EVENTUAL;
        long before = System.nanoTime();
        GetRequest request = GetRequest.newBuilder().setKey(ByteString.copyFrom(key))
                .setConsistency(level.toProto()).build();
        return readAt(level, key, "get", endpoints.groupOf(key), KvGrpc.getGetMethod(), request,
                GetResponse::getHeader)
                .thenApply(r -> new CacheRead(r.hasKv() ? Optional.of(toKeyValue(r.getKv(), r.getHeader())) : Optional.empty(),
                        r.getHeader().getAppliedIndex(), before));
    }

    public int shardOf(byte[] key) {
        if (endpoints.shardCount() == 0) {
            endpoints.shardCountIs(shards().shardCount());
        }
        return (int) (endpoints.groupOf(key) - Endpoints.FIRST_GROUP);
    }

    static WatchEvent toWatchEvent(int shard, io.cairn.api.proto.WatchEvent e) {
        return switch (e.getType()) {
            case PUT -> new WatchEvent(WatchEvent.Type.PUT, shard, e.getRevision(), e.getKey().toByteArray(),
                    e.getKv().getValue().toByteArray(), e.getKv().getVersion(), e.getKv().getCreateRevision());
            case DELETE -> new WatchEvent(WatchEvent.Type.DELETE, shard, e.getRevision(), e.getKey().toByteArray(), null, 0, 0);
            case EXPIRE -> new WatchEvent(WatchEvent.Type.EXPIRE, shard, e.getRevision(), e.getKey().toByteArray(), null, 0, 0);
            default -> throw new IllegalStateException("unknown watch event type " + e.getType());
        };
    }

    /** Stops every request in flight (they fail with {@link IllegalStateException}) and closes the channels. */
    @Override
    public void close() {
        endpoints.close();
        retrier.close();
        sessions.failWaiters(Retrier.closed());
        if (tls != null) {
            tls.close();
        }
    }

    // ---- plumbing -----------------------------------------------------------------------

    /** Builds a write's request from its session id and sequence. */
    @FunctionalInterface
    private interface WriteRequest<Req> {
        Req build(long clientId, long sequence);
    }

    private <Req, Resp> CompletableFuture<Resp> write(String operation, byte[] key, MethodDescriptor<Req, Resp> method,
                                                      WriteRequest<Req> build,
                                                      Function<Resp, ResponseHeader> headerOf) {
        long deadlineNanos = deadlineNanos();
        CompletableFuture<SessionPool.Session> session;
        try {
            session = sessions.acquire();
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (!session.isDone()) {
            waitForSessionUntil(session, deadlineNanos, operation);
        }
        return session.thenCompose(s -> {
            if (deadlineNanos - System.nanoTime() <= 0) {
                // A session came free only as the deadline passed (the write holding it timed out
                // at the same moment): nothing was sent, as when the wait itself timed out.
                sessions.release(s);
                return CompletableFuture.failedFuture(sessionsStayedBusy(operation));
            }
            Req request = build.build(s.id(), s.nextSequence());
            // The session is free again only when every attempt of this write is over, and it is
            // free before the caller learns the outcome: a caller's next write reuses it.
            return retrier.call(operation, endpoints.groupOf(key), method, request, headerOf, deadlineNanos,
                    requestTimeoutMillis).whenComplete((r, e) -> sessions.release(s));
        });
    }

    private void waitForSessionUntil(CompletableFuture<SessionPool.Session> waiter, long deadlineNanos,
                                     String operation) {
        long waitMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()) + 1;
        Runnable timeout = () -> {
            if (sessions.cancel(waiter)) {
                waiter.completeExceptionally(sessionsStayedBusy(operation));
            }
        };
        try {
            ScheduledFuture<?> timer = retrier.schedule(timeout, waitMillis);
            waiter.whenComplete((s, e) -> timer.cancel(false));
        } catch (RejectedExecutionException e) {
            if (sessions.cancel(waiter)) {
                waiter.completeExceptionally(Retrier.closed());
            }
        }
    }

    private CairnUnavailableException sessionsStayedBusy(String operation) {
        return new CairnUnavailableException(operation + " failed: all " + sessions.sessionsCreated()
                + " write sessions stayed busy for " + requestTimeoutMillis + " ms; nothing was sent", List.of(), null);
    }

    private <Req, Resp> CompletableFuture<Resp> read(String operation, long group, MethodDescriptor<Req, Resp> method,
                                                     Req request, Function<Resp, ResponseHeader> headerOf) {
        return retrier.call(operation, group, method, request, headerOf, deadlineNanos(), requestTimeoutMillis);
    }

    /**
     * A read at {@code consistency}: one any replica may serve goes first to the replica the
     * client's {@link ReadBalancing} picks (for {@code key}'s affinity), the others to the leader.
     */
    private <Req, Resp> CompletableFuture<Resp> readAt(Consistency consistency, byte[] key, String operation, long group,
                                                       MethodDescriptor<Req, Resp> method, Req request,
                                                       Function<Resp, ResponseHeader> headerOf) {
        if (!consistency.replicaRead() || balancer.policy() == ReadBalancing.LEADER) {
            return read(operation, group, method, request, headerOf);
        }
        String first = balancer.choose(directory.replicas(group), key);
        return retrier.call(operation, group, method, request, headerOf, deadlineNanos(), requestTimeoutMillis, first,
                replicaAttempts);
    }

    private final Retrier.AttemptObserver replicaAttempts = new Retrier.AttemptObserver() {
        @Override
        public void started(String address) {
            balancer.started(address);
        }

        @Override
        public void ended(String address, boolean answered, boolean moved) {
            balancer.ended(address, answered);
            if (moved) {
                directory.stale();
            }
        }
    };

    private static Consistency consistencyOf(ScanRequest.Builder request) {
        return switch (request.getConsistency()) {
            case CONSISTENCY_EVENTUAL -> Consistency.EVENTUAL;
            case CONSISTENCY_LEASE -> Consistency.LEASE;
            case CONSISTENCY_BOUNDED -> Consistency.bounded(Duration.ofMillis(request.getMaxStalenessMs()));
            default -> Consistency.LINEARIZABLE;
        };
    }

    /**
     * How many replica reads (BOUNDED or EVENTUAL, spread by the {@link ReadBalancing} policy)
     * each address answered since this client started: the spread the policy achieved.
     */
    public java.util.Map<String, Long> replicaReadsServed() {
        return balancer.servedCounts();
    }

    /** Fetches where the shards' replicas are: one node's shard view and member addresses. */
    private CompletableFuture<ReplicaDirectory.Snapshot> fetchReplicas() {
        long deadline = deadlineNanos();
        String endpoint = endpoints.configured().get(endpoints.nextRotationStart());
        CompletableFuture<ShardsResponse> shards = retrier.once(endpoint, ClusterGrpc.getShardsMethod(),
                ShardsRequest.getDefaultInstance(), deadline);
        CompletableFuture<io.cairn.api.proto.StatusResponse> members = retrier.once(endpoint, ClusterGrpc.getStatusMethod(),
                io.cairn.api.proto.StatusRequest.getDefaultInstance(), deadline);
        return shards.thenCombine(members, ReplicaDirectory.Snapshot::new);
    }

    private long deadlineNanos() {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(requestTimeoutMillis);
    }

    private void checkKey(byte[] key) {
        if (key == null || key.length == 0) {
            throw new IllegalArgumentException("key must not be empty");
        }
        if (key.length > keyBytesMax) {
            throw new IllegalArgumentException(
                    "key is " + key.length + " bytes, over the limit keyBytesMax=" + keyBytesMax);
        }
    }

    private void checkValue(byte[] value) {
        if (value == null) {
            throw new IllegalArgumentException("value is required (it may be empty)");
        }
        if (value.length > valueBytesMax) {
            throw new IllegalArgumentException(
                    "value is " + value.length + " bytes, over the limit valueBytesMax=" + valueBytesMax);
        }
    }

    private static long ttlMillis(Duration ttl) {
        if (ttl == null || ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must not be negative (zero: never expires): " + ttl);
        }
        if (ttl.compareTo(Duration.ofMillis(TTL_MILLIS_MAX)) > 0) {
            throw new IllegalArgumentException("ttl is " + ttl + ", over the limit of " + TTL_MILLIS_MAX + " ms");
        }
        long millis = ttl.toMillis();
        // A positive TTL below one millisecond still expires: round it up.
        return millis == 0 && !ttl.isZero() ? 1 : millis;
    }

    private static Consistency required(Consistency consistency) {
        if (consistency == null) {
            throw new IllegalArgumentException("consistency is required");
        }
        return consistency;
    }

    static KeyValue toKeyValue(io.cairn.api.proto.KeyValue kv, ResponseHeader header) {
        Consistency.Level servedAt = Consistency.levelOf(header.getReadLevel());
        return new KeyValue(kv.getKey().toByteArray(), kv.getValue().toByteArray(), kv.getCreateRevision(),
                kv.getModRevision(), kv.getVersion(), header.getNodeId(), header.getAppliedIndex(), servedAt,
                servedAt == null ? -1 : header.getStalenessMsMax(), kv.getExpiresAtMs(), kv.getTtlRemainingMs());
    }

    static byte[] utf8(String s) {
        if (s == null) {
            throw new IllegalArgumentException("key and value are required");
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A name for messages: its UTF-8 text when it is printable, else hex. */
    static String printable(byte[] name) {
        String text = new String(name, StandardCharsets.UTF_8);
        boolean plain = text.chars().allMatch(c -> c >= 0x20 && c != 0x7F && c != 0xFFFD);
        return plain ? text : "0x" + java.util.HexFormat.of().formatHex(name);
    }

    /** Waits for an async result and throws what it failed with, unwrapped. */
    static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new CairnException(String.valueOf(cause.getMessage()), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CairnException("interrupted while waiting for the cluster", e);
        }
    }

    /** Settings of a {@link CairnClient}; only the endpoints are required. */
    public static final class Builder {
        private List<String> endpoints = List.of();
        private Duration requestTimeout = REQUEST_TIMEOUT_DEFAULT;
        private Duration attemptTimeout = ATTEMPT_TIMEOUT_DEFAULT;
        private Duration backoffInitial = BACKOFF_INITIAL_DEFAULT;
        private Duration backoffMax = BACKOFF_MAX_DEFAULT;
        private int writeSessionsMax = WRITE_SESSIONS_MAX_DEFAULT;
        private int writesWaitingMax = WRITES_WAITING_MAX_DEFAULT;
        private int keyBytesMax = KEY_BYTES_MAX_DEFAULT;
        private int valueBytesMax = VALUE_BYTES_MAX_DEFAULT;
        private ReadBalancing readBalancing = ReadBalancing.LEADER;
        private java.util.Map<String, Integer> replicaWeights = java.util.Map.of();
        private io.cairn.client.Tls.Files tlsFiles;
        private io.grpc.ChannelCredentials channelCredentials;
        private String user;
        private String password;

        private Builder() {}

        /**
         * How BOUNDED and EVENTUAL reads are spread over a shard's replicas. Default
         * {@link ReadBalancing#LEADER}: to the leader, like every other request.
         */
        public Builder readBalancing(ReadBalancing policy) {
            if (policy == null) {
                throw new IllegalArgumentException("readBalancing is required");
            }
            this.readBalancing = policy;
            return this;
        }

        /**
         * Weights for {@link ReadBalancing#WEIGHTED}, by node address ({@code host:port} as the
         * cluster lists its members); an address not named weighs 1, weight 0 takes no reads
         * while another replica can.
         */
        public Builder replicaWeights(java.util.Map<String, Integer> weights) {
            java.util.Map<String, Integer> copy = new java.util.HashMap<>();
            weights.forEach((address, weight) -> {
                if (weight == null || weight < 0) {
                    throw new IllegalArgumentException("weight of " + address + " must be 0 or more: " + weight);
                }
                copy.put(Endpoints.checkAddress(address), weight);
            });
            this.replicaWeights = java.util.Map.copyOf(copy);
            return this;
        }

        /** Node addresses, {@code host:port}; any member will do, the client finds the leader. */
        public Builder endpoints(String... endpoints) {
            return endpoints(Arrays.asList(endpoints));
        }

        public Builder endpoints(List<String> endpoints) {
            this.endpoints = List.copyOf(endpoints);
            return this;
        }

        /** How long a request may take, retries and back-offs included. Default 5 s. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        /**
         * How long one attempt at one node may take before the client tries another (capped by
         * what is left of the request timeout); also the TCP connect timeout. Default 2 s.
         * Retrying a slow write is safe: it keeps its sequence.
         */
        public Builder attemptTimeout(Duration timeout) {
            this.attemptTimeout = positive(timeout, "attemptTimeout");
            return this;
        }

        /** The back-off between retries doubles from {@code initial} up to {@code max}. */
        public Builder backoff(Duration initial, Duration max) {
            this.backoffInitial = positive(initial, "backoff initial");
            this.backoffMax = positive(max, "backoff max");
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("backoff max " + max + " is below initial " + initial);
            }
            return this;
        }

        /** Writes in flight at once (each holds one write session); more wait. Default 64. */
        public Builder writeSessionsMax(int sessions) {
            if (sessions < 1) {
                throw new IllegalArgumentException("writeSessionsMax must be positive: " + sessions);
            }
            this.writeSessionsMax = sessions;
            return this;
        }

        /** Writes that may wait for a session before further ones are rejected. Default 10,000. */
        public Builder writesWaitingMax(int writes) {
            if (writes < 0) {
                throw new IllegalArgumentException("writesWaitingMax must not be negative: " + writes);
            }
            this.writesWaitingMax = writes;
            return this;
        }

        /**
         * Limits checked before sending; set them to the server's if it runs with other limits
         * (the server checks again). Defaults are the server's: 4 KiB keys, 1 MiB values.
         */
        public Builder limits(int keyBytesMax, int valueBytesMax) {
            if (keyBytesMax < 1 || valueBytesMax < 0) {
                throw new IllegalArgumentException("limits must be positive: " + keyBytesMax + ", " + valueBytesMax);
            }
            this.keyBytesMax = keyBytesMax;
            this.valueBytesMax = valueBytesMax;
            return this;
        }

        /**
         * Speaks TLS, trusting the cluster CA in {@code caCert}; with {@code cert} and {@code key}
         * (both or neither) it presents a client certificate, which also signs it in as the
         * certificate's user when the cluster has authentication on. The files are read again
         * when they change.
         */
        public Builder tls(java.nio.file.Path caCert, java.nio.file.Path cert, java.nio.file.Path key) {
            this.tlsFiles = new io.cairn.client.Tls.Files(caCert, cert, key);
            return this;
        }

        /** Channel credentials made elsewhere (a node's own, for its embedded client); {@link #tls} wins. */
        public Builder channelCredentials(io.grpc.ChannelCredentials credentials) {
            this.channelCredentials = credentials;
            return this;
        }

        /**
         * Signs in as {@code user} with {@code password} (for clusters with authentication on): the
         * client logs in on first use and renews its token before it expires. Use it with TLS.
         */
        public Builder credentials(String user, String password) {
            if (user == null || user.isEmpty() || password == null || password.isEmpty()) {
                throw new IllegalArgumentException("credentials need a user and a password");
            }
            this.user = user;
            this.password = password;
            return this;
        }

        public CairnClient build() {
            return new CairnClient(this);
        }

        private static Duration positive(Duration d, String name) {
            if (d == null || d.isNegative() || d.isZero() || d.toMillis() < 1) {
                throw new IllegalArgumentException(name + " must be at least 1 ms: " + d);
            }
            return d;
        }
    }
}
