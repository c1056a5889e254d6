package io.cairn.kv.state;

import static io.cairn.kv.state.TestLog.b;
import static io.cairn.kv.state.TestLog.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.kv.engine.MemoryKvEngine;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Single-shard transactions (etcd's If / Then / Else) as the state machine applies them. */
class TxnTest {
    private final MemoryKvEngine engine = new MemoryKvEngine();
    private final KvStateMachine sm = new KvStateMachine(engine);
    private final TestLog log = new TestLog();

    @AfterEach
    void indexesStayConsistent() {
        sm.checkConsistency();
    }

    private Result apply(long nowMillis, Command command) {
        return sm.apply(List.of(log.entry(nowMillis, command))).get(0);
    }

    private static Command.Txn txn(List<Compare> compares, List<TxnOp> success, List<TxnOp> failure) {
        return new Command.Txn(compares, success, failure);
    }

    private static Compare cmp(String key, Compare.Target target, Compare.Relation relation, long number) {
        return Compare.of(b(key), target, relation, number);
    }

    @Test
    void whenEveryCompareHoldsTheSuccessBranchWritesAtTheTransactionsRevision() {
        apply(1_000, put("a", "1"));

        Result r = apply(1_000, txn(List.of(cmp("a", Compare.Target.VERSION, Compare.Relation.EQUAL, 1),
                        cmp("b", Compare.Target.VERSION, Compare.Relation.EQUAL, 0)),
                List.of(put("a", "2"), put("b", "x"), new TxnOp.Get(b("a"))),
                List.of(new TxnOp.Get(b("a")))));

        KeyValue a = new KeyValue(b("a"), b("2"), 1, 2, 2, 0);
        assertThat(r).isEqualTo(new Result.TxnDone(true, -1, 2,
                List.of(new Result.Written(2, 2), new Result.Written(2, 1), new Result.Read(a))));
        assertThat(sm.get(b("a"), 1_000)).contains(a);
        assertThat(sm.get(b("b"), 1_000)).contains(new KeyValue(b("b"), b("x"), 2, 2, 1, 0));
    }

    @Test
    void theFirstFailingCompareIsNamedAndOnlyTheFailureBranchRuns() {
        apply(1_000, put("a", "1"));

        Result r = apply(1_000, txn(List.of(cmp("a", Compare.Target.MOD_REVISION, Compare.Relation.EQUAL, 1),
                        Compare.value(b("a"), Compare.Relation.EQUAL, b("9")),
                        cmp("a", Compare.Target.VERSION, Compare.Relation.EQUAL, 5)),
                List.of(put("a", "2")),
                List.of(new TxnOp.Get(b("a")), new Command.Delete(b("zz")))));

        assertThat(r).isEqualTo(new Result.TxnDone(false, 1, 2, List.of(
                new Result.Read(new KeyValue(b("a"), b("1"), 1, 1, 1, 0)), new Result.Deleted(2, false))));
        assertThat(sm.get(b("a"), 1_000).orElseThrow().value()).isEqualTo(b("1"));
    }

    /** A table of every relation against each target, on a key at version 2, created at 1, modified at 2. */
    @Test
    void relationsCompareTheKeysSideWithTheGivenSide() {
        apply(1_000, put("k", "m"));
        apply(1_000, put("k", "n"));
        record Row(Compare compare, boolean holds) {}
        List<Row> table = List.of(
                new Row(cmp("k", Compare.Target.VERSION, Compare.Relation.EQUAL, 2), true),
                new Row(cmp("k", Compare.Target.VERSION, Compare.Relation.NOT_EQUAL, 2), false),
                new Row(cmp("k", Compare.Target.VERSION, Compare.Relation.LESS, 3), true),
                new Row(cmp("k", Compare.Target.VERSION, Compare.Relation.GREATER, 2), false),
                new Row(cmp("k", Compare.Target.CREATE_REVISION, Compare.Relation.EQUAL, 1), true),
                new Row(cmp("k", Compare.Target.MOD_REVISION, Compare.Relation.GREATER, 1), true),
                new Row(cmp("k", Compare.Target.MOD_REVISION, Compare.Relation.LESS, 2), false),
                new Row(Compare.value(b("k"), Compare.Relation.EQUAL, b("n")), true),
                new Row(Compare.value(b("k"), Compare.Relation.GREATER, b("m")), true),
                new Row(Compare.value(b("k"), Compare.Relation.LESS, b("m")), false),
                new Row(Compare.value(b("k"), Compare.Relation.NOT_EQUAL, b("n")), false),
                // An absent key: numbers are 0, a value compare never holds.
                new Row(cmp("none", Compare.Target.VERSION, Compare.Relation.EQUAL, 0), true),
                new Row(cmp("none", Compare.Target.MOD_REVISION, Compare.Relation.LESS, 1), true),
                new Row(Compare.value(b("none"), Compare.Relation.NOT_EQUAL, b("x")), false),
                new Row(Compare.value(b("none"), Compare.Relation.LESS, b("x")), false),
                new Row(cmp("free", Compare.Target.LOCK_TOKEN, Compare.Relation.EQUAL, 0), true));
        for (Row row : table) {
            Result r = apply(1_000, txn(List.of(row.compare()), List.of(), List.of()));
            assertThat(((Result.TxnDone) r).succeeded()).as("%s", row.compare()).isEqualTo(row.holds());
        }
    }

    @Test
    void anExpiredKeyComparesAsAbsent() {
        apply(1_000, put("t", "v", 100));

        Result atDeadline = apply(1_100, txn(List.of(cmp("t", Compare.Target.VERSION, Compare.Relation.EQUAL, 0)),
                List.of(put("t", "again")), List.of()));

        assertThat(((Result.TxnDone) atDeadline).succeeded()).isTrue();
        assertThat(sm.get(b("t"), 1_100).orElseThrow().version()).as("re-created").isEqualTo(1);
    }

    @Test
    void aLockTokenCompareFencesTheWholeTransaction() {
        long token = ((Result.LockGranted) apply(1_000, new Command.Lock(b("L"), b("me"), 1_000))).token();
        Command.Txn fenced = txn(List.of(cmp("L", Compare.Target.LOCK_TOKEN, Compare.Relation.EQUAL, token)),
                List.of(put("x", "1"), put("y", "1")), List.of());

        assertThat(((Result.TxnDone) apply(1_500, fenced)).succeeded()).isTrue();
        assertThat(((Result.TxnDone) apply(2_000, fenced)).succeeded()).as("the grant expired").isFalse();
        assertThat(sm.get(b("x"), 2_000).orElseThrow().modRevision()).isEqualTo(2);
    }

    @Test
    void writesAndReadsOfABranchSeeTheEarlierOperations() {
        Result r = apply(1_000, txn(List.of(), List.of(put("a", "1"), new TxnOp.Get(b("a")),
                new Command.Delete(b("b")), new TxnOp.Get(b("b"))), List.of()));

        List<Result> results = ((Result.TxnDone) r).results();
        assertThat(results.get(1)).isEqualTo(new Result.Read(new KeyValue(b("a"), b("1"), 1, 1, 1, 0)));
        assertThat(results.get(3)).isEqualTo(new Result.Read(null));
    }

    @Test
    void eachWriteIsAWatchEventAtTheTransactionsRevision() {
        apply(1_000, put("gone", "x"));
        var staged = sm.stage(List.of(log.entry(1_000, txn(List.of(),
                List.of(put("a", "1"), new Command.Delete(b("gone")), new TxnOp.Get(b("a"))), List.of()))));
        engine.write(staged.writes());
        staged.commit();

        assertThat(staged.events()).extracting(WatchEvent::revision).containsExactly(2L, 2L);
        assertThat(staged.events()).extracting(WatchEvent::type)
                .containsExactly(WatchEvent.Type.PUT, WatchEvent.Type.DELETE);
    }

    @Test
    void aBranchThatWritesAKeyTwiceIsRejectedWholeAndChangesNothing() {
        Result r = apply(1_000, txn(List.of(), List.of(put("a", "1"), new Command.Delete(b("a"))), List.of()));

        assertThat(r).isInstanceOf(Result.Rejected.class);
        assertThat(((Result.Rejected) r).message()).contains("writes key a more than once");
        assertThat(sm.get(b("a"), 1_000)).isEmpty();
    }

    @Test
    void limitsBoundOperationsAndBytes() {
        List<TxnOp> many = new java.util.ArrayList<>();
        for (int i = 0; i <= Limits.TXN_OPS_MAX; i++) {
            many.add(new TxnOp.Get(b("k" + i)));
        }
        assertThatThrownBy(() -> Limits.DEFAULT.check(txn(List.of(), many, List.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 128");
        io.cairn.common.Bytes big = io.cairn.common.Bytes.wrap(new byte[Limits.VALUE_BYTES_MAX_DEFAULT]);
        List<TxnOp> heavy = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            heavy.add(new Command.Put(b("k" + i), big, 0));
        }
        assertThatThrownBy(() -> Limits.DEFAULT.check(txn(List.of(), heavy, List.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TXN_BYTES_MAX");
        assertThat(apply(1_000, txn(List.of(), heavy, List.of()))).isInstanceOf(Result.Rejected.class);
    }

    @Test
    void aRetriedTransactionReturnsItsFirstOutcome() {
        Command.Txn createOnce = txn(List.of(cmp("a", Compare.Target.VERSION, Compare.Relation.EQUAL, 0)),
                List.of(put("a", "1")), List.of());
        Result first = sm.apply(List.of(log.entry(7, 1, 1_000, createOnce))).get(0);
        Result retry = sm.apply(List.of(log.entry(7, 1, 1_000, createOnce))).get(0);

        assertThat(first).isInstanceOf(Result.TxnDone.class);
        assertThat(((Result.TxnDone) first).succeeded()).isTrue();
        assertThat(retry).isEqualTo(first);
    }
}
