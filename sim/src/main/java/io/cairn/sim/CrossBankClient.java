package io.cairn.sim;

import io.cairn.client.CairnUnavailableException;
import io.cairn.client.Compare;
import io.cairn.client.TxnCoordinator;
import io.cairn.client.TxnOp;
import io.cairn.client.TxnResult;
import io.cairn.common.Bytes;
import io.cairn.common.RandomSource;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.Result;
import io.cairn.sim.kv.BankOp;
import io.cairn.sim.kv.BankResult;
import io.cairn.sim.kv.ClientOp;
import io.cairn.sim.kv.KvOp;
import io.cairn.sim.kv.OpResult;
import io.cairn.sim.kv.TxnRoundOp;
import io.cairn.sim.kv.TxnRoundResult;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.ToIntFunction;

/**
 * The bank across shards ({@code --workload cross-bank}): accounts without a shared tag, so they
 * spread over the shards, moved between by the Java client's own cross-shard coordinator
 * ({@link TxnCoordinator}, three rounds, each round's calls carried here one at a time as this
 * client's operations, with its session and retries). A transfer reads two accounts (one plain
 * read each, remembering the mod revision seen), then commits both new balances only if neither
 * changed; an audit reads every account and commits read-only, which succeeds only if none
 * changed meanwhile, so a committed audit saw one state of the bank.
 *
 * <p>During the fault phase the coordinator now and then stops dead between rounds (a crashed
 * client process): its intents and record stay for the nodes to push ({@link SimPusher}). After
 * healing each client finishes its transaction, then audits until one commits. {@link #check}
 * requires every committed audit to see the opening total and no negative balance.
 */
final class CrossBankClient implements WorkloadDriver {
    static final int ACCOUNTS = 8;
    static final List<String> NAMES = names();
    /** Per round answered in the fault phase: the chance the coordinator dies before it hears the answer. */
    private static final double CRASH_PER_ROUND = 0.02;

    private enum Phase { IDLE, READING, COMMITTING }

    /** A round the coordinator asked for, with the future its answer completes. */
    private record Round(TxnRoundOp op, CompletableFuture<Result> answer) {}

    private final int id;
    private final RandomSource random;
    private final long thinkMaxMicros;
    private final Coverage coverage;
    private final ToIntFunction<String> shardOfKey;
    private final ArrayDeque<Round> outbox = new ArrayDeque<>();
    private Round inFlight;
    private TxnCoordinator coordinator;
    private long txnIdCounter;

    private Phase phase = Phase.IDLE;
    private boolean audit;
    private List<String> accounts = List.of();
    private final List<Long> balances = new ArrayList<>();
    private final List<Long> revisions = new ArrayList<>();
    private long amount;
    private boolean healing;
    private boolean finalAuditCommitted;
    /** The balances of every audit that committed. */
    private final List<List<Long>> audits = new ArrayList<>();

    CrossBankClient(int id, RandomSource random, long thinkMaxMicros, Coverage coverage, ToIntFunction<String> shardOfKey) {
        this.id = id;
        this.random = random;
        this.thinkMaxMicros = thinkMaxMicros;
        this.coverage = coverage;
        this.shardOfKey = shardOfKey;
        this.coordinator = newCoordinator();
    }

    /**
     * One account in each eighth of the hash slots (names like "x3.17"), so that with any shard
     * count accounts fall in as many shards as they can: similar names hash to nearby slots.
     */
    private static List<String> names() {
        io.cairn.placement.ShardMap eighths = io.cairn.placement.ShardMap.of(ACCOUNTS);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < ACCOUNTS; i++) {
            int n = 0;
            while (eighths.shardOfKey(utf8("x" + i + "." + n)) != i) {
                n++;
            }
            names.add("x" + i + "." + n);
        }
        return List.copyOf(names);
    }

    /** A coordinator whose transaction ids are unique in the run: this client's id and a counter. */
    private TxnCoordinator newCoordinator() {
        return new TxnCoordinator(new SimRounds(), () -> {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16);
            b.putLong(id).putLong(++txnIdCounter);
            return b.array();
        });
    }

    @Override
    public ClientOp next() {
        if (inFlight == null && !outbox.isEmpty()) {
            inFlight = outbox.poll();
            return inFlight.op();
        }
        if (inFlight != null || phase == Phase.COMMITTING) {
            return null;
        }
        if (phase == Phase.IDLE && !startTransaction()) {
            return null;
        }
        return BankOp.read(List.of(accounts.get(balances.size())));
    }

    /** Picks the next transaction; false when this client is done (after healing, once an audit committed). */
    private boolean startTransaction() {
        if (healing && finalAuditCommitted) {
            return false;
        }
        balances.clear();
        revisions.clear();
        audit = healing || random.chance(0.25);
        if (audit) {
            accounts = NAMES;
        } else {
            int from = random.nextInt(ACCOUNTS);
            int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            accounts = List.of(NAMES.get(from), NAMES.get(to));
            amount = 1 + random.nextInt(60);
        }
        phase = Phase.READING;
        return true;
    }

    @Override
    public long pauseMicros() {
        return phase == Phase.IDLE ? random.nextLong(thinkMaxMicros + 1) : 0;
    }

    @Override
    public void onResult(ClientOp op, OpResult answer) {
        if (op instanceof TxnRoundOp) {
            Round round = inFlight;
            inFlight = null;
            if (!healing && random.chance(CRASH_PER_ROUND)) {
                crash();
                return;
            }
            round.answer().complete(((TxnRoundResult) answer).result());
            return;
        }
        Result.Read read = ((BankResult) answer).reads().get(0);
        balances.add(read.found().map(kv -> KvOp.decodeValue(kv.value())).orElse(BankOp.OPENING));
        revisions.add(read.found().map(kv -> kv.modRevision()).orElse(0L));
        if (balances.size() == accounts.size()) {
            commit();
        }
    }

    /** The coordinator dies between rounds: nothing more of its transaction is sent or heard. */
    private void crash() {
        coverage.add(Coverage.Item.COORDINATORS_CRASHED);
        outbox.clear();
        coordinator = newCoordinator();
        phase = Phase.IDLE;
    }

    private void commit() {
        if (!audit && balances.get(0) < amount) {
            phase = Phase.IDLE;
            return;
        }
        List<Compare> reads = new ArrayList<>();
        for (int i = 0; i < accounts.size(); i++) {
            reads.add(Compare.modRevision(utf8(accounts.get(i)), Compare.Relation.EQUAL, revisions.get(i)));
        }
        List<TxnOp> writes = audit ? List.of() : List.of(
                new TxnOp.Put(utf8(accounts.get(0)), KvOp.encodeValue(balances.get(0) - amount).toArray(), java.time.Duration.ZERO),
                new TxnOp.Put(utf8(accounts.get(1)), KvOp.encodeValue(balances.get(1) + amount).toArray(), java.time.Duration.ZERO));
        boolean crossShard = accounts.stream().mapToInt(shardOfKey).distinct().count() > 1;
        List<Long> seen = List.copyOf(balances);
        boolean wasAudit = audit;
        TxnCoordinator mine = coordinator;
        phase = Phase.COMMITTING;
        mine.commit(reads, writes).whenComplete((result, error) -> {
            if (coordinator != mine) {
                return; // this coordinator crashed; its callbacks belong to nobody
            }
            committed(wasAudit, seen, crossShard, result, error);
        });
    }

    private void committed(boolean wasAudit, List<Long> seen, boolean crossShard, TxnResult result, Throwable error) {
        phase = Phase.IDLE;
        if (error != null) {
            coverage.add(Coverage.Item.TXNS_CONFLICTED);
            return;
        }
        if (wasAudit) {
            coverage.add(Coverage.Item.AUDITS);
            audits.add(seen);
            finalAuditCommitted |= healing;
        } else {
            coverage.add(Coverage.Item.TXNS_COMMITTED);
            if (crossShard) {
                coverage.add(Coverage.Item.CROSS_SHARD_COMMITS);
            }
        }
    }

    @Override
    public void onAbandoned(ClientOp op) {
        if (op instanceof TxnRoundOp) {
            Round round = inFlight;
            inFlight = null;
            round.answer().completeExceptionally(new CairnUnavailableException("the simulated client gave up "
                    + op + " (its outcome is unknown)", List.of(), null));
            return;
        }
        phase = Phase.IDLE;
    }

    @Override
    public void healing() {
        healing = true;
    }

    @Override
    public boolean finished() {
        return healing && finalAuditCommitted && phase == Phase.IDLE && inFlight == null && outbox.isEmpty();
    }

    List<List<Long>> audits() {
        return audits;
    }

    @Override
    public String toString() {
        return "cross-bank " + phase + (audit ? " audit" : " transfer " + accounts) + " read " + balances
                + (inFlight == null ? "" : " waiting for " + inFlight.op()) + " outbox " + outbox.size()
                + " final audit " + (finalAuditCommitted ? "committed" : "not yet");
    }

    /**
     * Every committed audit saw the opening total and no negative balance; so did the final plain
     * reads of every account ({@code finalBalances}, once every client finished: no write intent
     * is left then, so nothing committed is half resolved).
     */
    static void check(List<CrossBankClient> clients, List<Long> finalBalances, long nowMicros) {
        long expected = BankOp.OPENING * ACCOUNTS;
        List<List<Long>> all = new ArrayList<>();
        clients.forEach(c -> all.addAll(c.audits()));
        if (finalBalances != null) {
            all.add(finalBalances);
        }
        for (List<Long> balances : all) {
            long total = balances.stream().mapToLong(Long::longValue).sum();
            if (total != expected || balances.stream().anyMatch(b -> b < 0)) {
                throw new InvariantFailure("Bank", nowMicros, "an audit saw balances " + balances + ", total " + total
                        + ", expected " + expected + " and none negative"
                        + (balances == finalBalances ? " (the final reads)" : ""));
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The coordinator's rounds as this client's operations, each answered by kv-state's result. */
    private final class SimRounds implements TxnCoordinator.Rounds {
        @Override
        public int shardOf(byte[] key) {
            return shardOfKey.applyAsInt(new String(key, java.nio.charset.StandardCharsets.UTF_8));
        }

        private CompletableFuture<Result> send(byte[] routeKey, Command command) {
            CompletableFuture<Result> answer = new CompletableFuture<>();
            outbox.add(new Round(new TxnRoundOp(new String(routeKey, java.nio.charset.StandardCharsets.UTF_8), command,
                    false), answer));
            return answer;
        }

        @Override
        public CompletableFuture<TxnCoordinator.Prepared> prepare(byte[] txnId, byte[] primaryKey, List<Compare> compares,
                                                                  List<TxnOp> writes, boolean lockReads) {
            List<io.cairn.kv.state.Compare> checks = new ArrayList<>();
            compares.forEach(c -> checks.add(toState(c)));
            List<io.cairn.kv.state.TxnOp> ops = new ArrayList<>();
            writes.forEach(w -> ops.add(toState(w)));
            byte[] route = compares.isEmpty() ? writes.get(0).key() : compares.get(0).key();
            return send(route, new Command.Prepare(Bytes.wrap(txnId), Bytes.wrap(primaryKey), checks, ops, lockReads))
                    .thenApply(r -> {
                        if (r instanceof Result.Prepared p) {
                            return p.ok() ? TxnCoordinator.Prepared.held()
                                    : TxnCoordinator.Prepared.compareFailed(p.failedCompare());
                        }
                        if (r instanceof Result.Decided) {
                            return TxnCoordinator.Prepared.decidedBefore();
                        }
                        if (r instanceof Result.Locked l) {
                            return TxnCoordinator.Prepared.heldByOther(l.key().toArray(), l.txnId().toArray());
                        }
                        throw new IllegalStateException("a prepare answered " + r);
                    });
        }

        @Override
        public CompletableFuture<TxnCoordinator.Decision> decide(byte[] txnId, byte[] primaryKey, boolean commit,
                                                                 List<byte[]> intentKeys) {
            List<Bytes> keys = intentKeys.stream().map(Bytes::wrap).toList();
            return send(primaryKey, Command.Decide.of(Bytes.wrap(txnId), commit, Bytes.wrap(primaryKey), keys))
                    .thenApply(r -> {
                        if (r instanceof Result.Decided d) {
                            return d.committed() ? TxnCoordinator.Decision.COMMITTED : TxnCoordinator.Decision.ABORTED;
                        }
                        if (r instanceof Result.OutcomeUnknown) {
                            return TxnCoordinator.Decision.FORGOTTEN;
                        }
                        throw new IllegalStateException("a decision answered " + r);
                    });
        }

        @Override
        public CompletableFuture<Long> resolve(byte[] txnId, boolean commit, List<byte[]> keys) {
            List<Bytes> resolved = keys.stream().map(Bytes::wrap).toList();
            return send(keys.get(0), new Command.Resolve(Bytes.wrap(txnId), commit, resolved)).thenApply(r -> {
                if (!(r instanceof Result.Resolved)) {
                    throw new IllegalStateException("a resolve answered " + r);
                }
                return 0L;
            });
        }

        @Override
        public CompletableFuture<Boolean> forget(byte[] txnId, byte[] primaryKey) {
            return send(primaryKey, new Command.Forget(Bytes.wrap(txnId))).thenApply(r -> {
                if (!(r instanceof Result.Deleted d)) {
                    throw new IllegalStateException("a forget answered " + r);
                }
                return d.existed();
            });
        }
    }

    /** The client's comparison as kv-state's (the server's codec does the same from the wire). */
    private static io.cairn.kv.state.Compare toState(Compare c) {
        Bytes key = Bytes.wrap(c.key());
        io.cairn.kv.state.Compare.Relation relation = io.cairn.kv.state.Compare.Relation.valueOf(c.relation().name());
        io.cairn.kv.state.Compare.Target target = io.cairn.kv.state.Compare.Target.valueOf(c.target().name());
        return target == io.cairn.kv.state.Compare.Target.VALUE
                ? io.cairn.kv.state.Compare.value(key, relation, Bytes.wrap(c.value()))
                : io.cairn.kv.state.Compare.of(key, target, relation, c.number());
    }

    private static io.cairn.kv.state.TxnOp toState(TxnOp op) {
        if (op instanceof TxnOp.Put put) {
            return new Command.Put(Bytes.wrap(put.key()), Bytes.wrap(put.value()), put.ttl().toMillis());
        }
        if (op instanceof TxnOp.Delete delete) {
            return new Command.Delete(Bytes.wrap(delete.key()));
        }
        return new io.cairn.kv.state.TxnOp.Get(Bytes.wrap(op.key()));
    }
}
