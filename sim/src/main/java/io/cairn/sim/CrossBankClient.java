package io.cairn.sim;

import io.cairn.client.Compare;
import io.cairn.client.TxnOp;
import io.cairn.sim.elle.ListTxn;
import io.cairn.common.RandomSource;
import io.cairn.kv.state.Result;
import io.cairn.sim.kv.BankOp;
import io.cairn.sim.kv.BankResult;
import io.cairn.sim.kv.ClientOp;
import io.cairn.sim.kv.KvOp;
import io.cairn.sim.kv.OpResult;
import io.cairn.sim.kv.TxnRoundOp;
import java.util.ArrayList;
import java.util.List;
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

    private final int id;
    private final RandomSource random;
    private final long thinkMaxMicros;
    private final Coverage coverage;
    private final ToIntFunction<String> shardOfKey;
    private final SimTxnRounds rounds;

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
        this.rounds = new SimTxnRounds(shardOfKey, id);
    }

    /** One account in each eighth of the hash slots ("x3.17"), so they lie in as many shards as the run has. */
    private static List<String> names() {
        return SimTxnRounds.spread("x", ACCOUNTS);
    }

    @Override
    public ClientOp next() {
        rounds.rethrowSurprise();
        ClientOp round = rounds.next();
        if (round != null) {
            return round;
        }
        if (rounds.busy() || phase == Phase.COMMITTING) {
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
            if (!healing && random.chance(CRASH_PER_ROUND)) {
                crash();
                return;
            }
            rounds.answered(answer);
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
        rounds.crash();
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
        phase = Phase.COMMITTING;
        rounds.commit(reads, writes, outcome -> committed(wasAudit, seen, crossShard, outcome));
    }

    private void committed(boolean wasAudit, List<Long> seen, boolean crossShard, ListTxn.Outcome outcome) {
        phase = Phase.IDLE;
        if (outcome != ListTxn.Outcome.OK) {
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
            rounds.abandoned(op);
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
        return healing && finalAuditCommitted && phase == Phase.IDLE && !rounds.busy();
    }

    List<List<Long>> audits() {
        return audits;
    }

    @Override
    public String toString() {
        return "cross-bank " + phase + (audit ? " audit" : " transfer " + accounts) + " read " + balances
                + " " + rounds
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
}
