package io.cairn.sim;

import io.cairn.client.Compare;
import io.cairn.client.TxnOp;
import io.cairn.common.RandomSource;
import io.cairn.kv.state.Result;
import io.cairn.sim.elle.ListTxn;
import io.cairn.sim.kv.BankResult;
import io.cairn.sim.kv.ClientOp;
import io.cairn.sim.kv.ListOp;
import io.cairn.sim.kv.OpResult;
import io.cairn.sim.kv.TxnRoundOp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Elle's list-append workload across shards ({@code --workload cross-list-append}): each
 * transaction reads or appends a unique value to 1 to 3 of {@link #KEYS} lists, which lie in
 * different shards. It reads each list it touches (a plain read, remembering the mod revision
 * seen), then commits through the Java client's cross-shard coordinator ({@link SimTxnRounds}):
 * every list read must be unchanged, and each appended list is written with its value added. A
 * read-only transaction commits read-only (its reads validated, nothing held). Now and then, in
 * the fault phase, the coordinator dies between rounds.
 *
 * <p>Each transaction is kept with its outcome as the client learned it: committed (OK), a
 * conflict or a stale read (FAILED: nothing written), or unknown (INFO: the coordinator died or
 * a round was given up), for {@code ListAppendCheck} to look for Adya's anomalies.
 */
final class CrossListAppendClient implements WorkloadDriver {
    /** One list in each quarter of the hash slots, so that they lie in as many shards as they can. */
    static final List<String> KEYS = SimTxnRounds.spread("l", 4);
    private static final double CRASH_PER_ROUND = 0.02;

    private final int id;
    private final RandomSource random;
    private final long thinkMaxMicros;
    private final Coverage coverage;
    private final SimTxnRounds rounds;
    private long counter;
    private boolean healing;

    /** The micro-operations planned for the transaction in progress, and the lists read so far. */
    private List<ListTxn.Mop> planned;
    private final List<String> touched = new ArrayList<>();
    private final List<List<Long>> lists = new ArrayList<>();
    private final List<Long> revisions = new ArrayList<>();
    private boolean committing;
    /** The mops of the commit in flight: recorded as unknown if the coordinator dies. */
    private List<ListTxn.Mop> pending;
    /** Every transaction this client finished (or lost), with the outcome it learned. */
    private final List<ListTxn> txns = new ArrayList<>();

    CrossListAppendClient(int id, RandomSource random, long thinkMaxMicros, Coverage coverage,
                          ToIntFunction<String> shardOfKey) {
        this.id = id;
        this.random = random;
        this.thinkMaxMicros = thinkMaxMicros;
        this.coverage = coverage;
        this.rounds = new SimTxnRounds(shardOfKey, id);
    }

    @Override
    public ClientOp next() {
        rounds.rethrowSurprise();
        ClientOp round = rounds.next();
        if (round != null) {
            return round;
        }
        if (rounds.busy() || committing) {
            return null;
        }
        if (planned == null) {
            if (healing) {
                return null;
            }
            plan();
        }
        return ListOp.read(List.of(touched.get(lists.size())));
    }

    private void plan() {
        List<String> keys = new ArrayList<>(KEYS);
        planned = new ArrayList<>();
        touched.clear();
        lists.clear();
        revisions.clear();
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            String key = keys.remove(random.nextInt(keys.size()));
            touched.add(key);
            // A value no other client or transaction appends: the client's id, then its counter.
            planned.add(random.chance(0.5) ? ListTxn.Mop.append(key, (long) id << 32 | ++counter)
                    : ListTxn.Mop.read(key, List.of()));
        }
    }

    @Override
    public long pauseMicros() {
        return planned == null ? random.nextLong(thinkMaxMicros + 1) : 0;
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
        lists.add(read.found().map(kv -> ListOp.decode(kv.value())).orElse(List.of()));
        revisions.add(read.found().map(kv -> kv.modRevision()).orElse(0L));
        if (lists.size() == touched.size()) {
            commit();
        }
    }

    private void commit() {
        List<ListTxn.Mop> mops = new ArrayList<>();
        List<Compare> reads = new ArrayList<>();
        List<TxnOp> writes = new ArrayList<>();
        for (int i = 0; i < touched.size(); i++) {
            byte[] key = touched.get(i).getBytes(StandardCharsets.UTF_8);
            ListTxn.Mop m = planned.get(i);
            // An append reads its list first (it writes the list with the value added), and the
            // commit checks that read like any other.
            mops.add(ListTxn.Mop.read(m.key(), lists.get(i)));
            reads.add(Compare.modRevision(key, Compare.Relation.EQUAL, revisions.get(i)));
            if (m.append()) {
                mops.add(m);
                List<Long> after = new ArrayList<>(lists.get(i));
                after.add(m.value());
                writes.add(new TxnOp.Put(key, ListOp.encode(after).toArray(), java.time.Duration.ZERO));
            }
        }
        committing = true;
        pending = mops;
        boolean crossShard = touched.stream().mapToInt(k -> rounds.shardOf(k.getBytes(StandardCharsets.UTF_8)))
                .distinct().count() > 1;
        rounds.commit(reads, writes, outcome -> {
            coverage.add(outcome == ListTxn.Outcome.OK ? Coverage.Item.TXNS_COMMITTED : Coverage.Item.TXNS_CONFLICTED);
            if (outcome == ListTxn.Outcome.OK && crossShard) {
                coverage.add(Coverage.Item.CROSS_SHARD_COMMITS);
            }
            record(outcome, mops);
        });
    }

    private void record(ListTxn.Outcome outcome, List<ListTxn.Mop> mops) {
        // A transaction that did not commit is judged by its appends only: its reads saw nothing
        // that counts, and an unknown one's appends may or may not have taken effect.
        List<ListTxn.Mop> kept = outcome == ListTxn.Outcome.OK ? mops : mops.stream().filter(ListTxn.Mop::append).toList();
        txns.add(new ListTxn(0, outcome, kept));
        planned = null;
        committing = false;
        pending = null;
    }

    /** The coordinator dies between rounds: its transaction's outcome is unknown. */
    private void crash() {
        coverage.add(Coverage.Item.COORDINATORS_CRASHED);
        rounds.crash();
        if (pending != null) {
            record(ListTxn.Outcome.INFO, pending);
        }
        planned = null;
        committing = false;
    }

    @Override
    public void onAbandoned(ClientOp op) {
        if (op instanceof TxnRoundOp) {
            rounds.abandoned(op);
            return;
        }
        planned = null; // a read given up: the transaction starts over, nothing was written
    }

    @Override
    public void healing() {
        healing = true;
    }

    @Override
    public boolean finished() {
        return healing && planned == null && !committing && !rounds.busy();
    }

    List<ListTxn> txns() {
        return txns;
    }

    @Override
    public String toString() {
        return "cross-list-append " + (planned == null ? "idle" : "touching " + touched + " read " + lists.size())
                + (committing ? " committing" : "") + ", " + rounds;
    }
}
