package io.cairn.kv.state;

import static io.cairn.kv.state.TestLog.b;
import static io.cairn.kv.state.TestLog.put;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.Bytes;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One participant shard's side of a cross-shard transaction: intents, the record, resolution. */
class TwoPhaseTest {
    private static final Bytes T1 = b("txn-1");
    private static final Bytes T2 = b("txn-2");

    private final io.cairn.kv.engine.MemoryKvEngine engine = new io.cairn.kv.engine.MemoryKvEngine();
    private final KvStateMachine sm = new KvStateMachine(engine);
    private final TestLog log = new TestLog();

    @AfterEach
    void indexesStayConsistent() {
        sm.checkConsistency();
    }

    private Result apply(Command command) {
        return sm.apply(List.of(log.entry(1_000, command))).get(0);
    }

    private static Compare modIs(String key, long revision) {
        return Compare.of(b(key), Compare.Target.MOD_REVISION, Compare.Relation.EQUAL, revision);
    }

    private static Command.Prepare prepare(Bytes txn, List<Compare> reads, List<TxnOp> writes) {
        return new Command.Prepare(txn, b("primary"), reads, writes, true);
    }

    @Test
    void aPreparedTransactionHoldsItsKeysUntilResolvedThenItsWritesApplyAtTheResolveRevision() {
        apply(put("r", "read me"));
        apply(put("d", "doomed"));

        assertThat(apply(prepare(T1, List.of(modIs("r", 1)), List.of(put("w", "new"), new Command.Delete(b("d"))))))
                .isEqualTo(new Result.Prepared(-1));
        assertThat(sm.intentOn(b("w"))).contains("PUT");
        assertThat(sm.intentOn(b("r"))).contains("READ");
        assertThat(sm.get(b("w"), 1_000)).as("reads see committed state only").isEmpty();
        assertThat(sm.get(b("d"), 1_000)).isPresent();

        assertThat(apply(put("r", "changed"))).isEqualTo(new Result.Locked(b("r"), T1, b("primary"), 1_000));
        assertThat(apply(new Command.Delete(b("w")))).isInstanceOf(Result.Locked.class);

        var staged = sm.stage(List.of(log.entry(1_000, new Command.Resolve(T1, true, List.of(b("r"), b("w"), b("d"))))));
        engine.write(staged.writes());
        staged.commit();
        assertThat(staged.results()).containsExactly(new Result.Resolved(3));
        assertThat(staged.events()).extracting(WatchEvent::type).containsExactly(WatchEvent.Type.PUT, WatchEvent.Type.DELETE);
        long resolveRevision = log.lastIndex();
        assertThat(sm.get(b("w"), 1_000).orElseThrow().modRevision()).isEqualTo(resolveRevision);
        assertThat(sm.get(b("d"), 1_000)).isEmpty();
        assertThat(sm.intentOn(b("r"))).isEmpty();
        assertThat(apply(put("r", "changed"))).isInstanceOf(Result.Written.class);
    }

    @Test
    void anAbortedTransactionLeavesNothingBehind() {
        apply(prepare(T1, List.of(), List.of(put("w", "new"))));

        assertThat(apply(new Command.Resolve(T1, false, List.of(b("w"))))).isEqualTo(new Result.Resolved(1));
        assertThat(sm.get(b("w"), 1_000)).isEmpty();
        assertThat(sm.intentOn(b("w"))).isEmpty();
        assertThat(apply(new Command.Resolve(T1, true, List.of(b("w"))))).as("nothing left to resolve")
                .isEqualTo(new Result.Resolved(0));
        assertThat(sm.get(b("w"), 1_000)).isEmpty();
    }

    @Test
    void aChangedReadFailsThePrepareAndPlacesNothing() {
        apply(put("r", "v1"));
        apply(put("r", "v2"));

        assertThat(apply(prepare(T1, List.of(modIs("x", 0), modIs("r", 1)), List.of(put("w", "new")))))
                .isEqualTo(new Result.Prepared(1));
        assertThat(sm.intentOn(b("w"))).isEmpty();
        assertThat(sm.intentOn(b("x"))).isEmpty();
    }

    /** Which holds stop which commands: a table of (intent held, command tried, stopped?). */
    @Test
    void intentsStopConflictingCommandsOnly() {
        record Row(String held, Command tried, boolean stopped) {}
        List<Row> table = List.of(
                new Row("READ", put("k", "x"), true),
                new Row("PUT", put("k", "x"), true),
                new Row("READ", new Command.CompareAndSet(b("k"), 0, b("x"), 0), true),
                new Row("READ", new Command.SetTtl(b("k"), 10), true),
                new Row("READ", prepare(T2, List.of(modIs("k", 0)), List.of()), true),
                new Row("READ", new Command.Prepare(T2, b("p"), List.of(modIs("k", 0)), List.of(), false), false),
                new Row("PUT", new Command.Prepare(T2, b("p"), List.of(modIs("k", 0)), List.of(), false), true),
                new Row("READ", new Command.Txn(List.of(modIs("k", 0)), List.of(new TxnOp.Get(b("k"))), List.of()), false),
                new Row("PUT", new Command.Txn(List.of(modIs("k", 0)), List.of(), List.of()), true),
                new Row("PUT", new Command.Txn(List.of(), List.of(new TxnOp.Get(b("k"))), List.of()), true),
                new Row("READ", new Command.Txn(List.of(), List.of(), List.of(put("k", "x"))), true),
                new Row("PUT", new Command.Lock(b("k"), b("me"), 100), false));
        for (Row row : table) {
            TwoPhaseTest fresh = new TwoPhaseTest();
            if (row.held().equals("READ")) {
                fresh.apply(prepare(T1, List.of(modIs("k", 0)), List.of()));
            } else {
                fresh.apply(prepare(T1, List.of(), List.of(put("k", "held"))));
            }
            Result r = fresh.apply(row.tried());
            assertThat(r instanceof Result.Locked).as("%s intent, %s -> %s", row.held(), row.tried(), r)
                    .isEqualTo(row.stopped());
        }
    }

    @Test
    void aStoppedWriteDoesNotUseUpItsSessionSequence() {
        apply(prepare(T1, List.of(), List.of(put("k", "held"))));
        assertThat(sm.apply(List.of(log.entry(9, 1, 1_000, put("k", "mine")))).get(0)).isInstanceOf(Result.Locked.class);
        apply(new Command.Resolve(T1, false, List.of(b("k"))));

        assertThat(sm.apply(List.of(log.entry(9, 1, 1_000, put("k", "mine")))).get(0))
                .as("the same sequence, proposed again, applies").isInstanceOf(Result.Written.class);
        assertThat(sm.get(b("k"), 1_000).orElseThrow().value()).isEqualTo(b("mine"));
    }

    @Test
    void theFirstDecisionIsTheRecordAndLaterOnesReadIt() {
        assertThat(apply(new Command.Decide(T1, false))).isEqualTo(new Result.Decided(false));
        assertThat(apply(new Command.Decide(T1, true))).as("the coordinator came too late")
                .isEqualTo(new Result.Decided(false));
        assertThat(apply(new Command.Decide(T2, true))).isEqualTo(new Result.Decided(true));
        assertThat(apply(new Command.Decide(T2, false))).isEqualTo(new Result.Decided(true));
    }

    @Test
    void aLockTokenComparisonChecksTheLockAndHoldsNoKey() {
        long token = ((Result.LockGranted) apply(new Command.Lock(b("k"), b("me"), 10_000))).token();
        apply(prepare(T2, List.of(), List.of(put("k", "held by T2"))));
        Compare fence = Compare.of(b("k"), Compare.Target.LOCK_TOKEN, Compare.Relation.EQUAL, token);

        assertThat(apply(prepare(T1, List.of(fence), List.of(put("w", "fenced"))))).as("the key k's intent is T2's")
                .isEqualTo(new Result.Prepared(-1));
        assertThat(sm.intentOn(b("k"))).contains("PUT");
        assertThat(apply(prepare(b("txn-3"), List.of(Compare.of(b("k"), Compare.Target.LOCK_TOKEN,
                Compare.Relation.EQUAL, token + 1)), List.of(put("v", "x"))))).isEqualTo(new Result.Prepared(0));
    }

    @Test
    void aForgottenRecordIsGoneAndForgettingAgainFindsNothing() {
        apply(new Command.Decide(T1, true));

        assertThat(apply(new Command.Forget(T1))).isEqualTo(new Result.Deleted(log.lastIndex(), true));
        assertThat(apply(new Command.Forget(T1))).isEqualTo(new Result.Deleted(log.lastIndex(), false));
        assertThat(apply(new Command.Decide(T1, false))).as("a new decision after the record is gone")
                .isEqualTo(new Result.Decided(false));
    }

    @Test
    void aTransactionMayPrepareAgainOnItsOwnIntents() {
        assertThat(apply(prepare(T1, List.of(modIs("k", 0)), List.of()))).isEqualTo(new Result.Prepared(-1));
        assertThat(apply(prepare(T1, List.of(modIs("k", 0)), List.of(put("k", "mine"))))).isEqualTo(new Result.Prepared(-1));
        assertThat(sm.intentOn(b("k"))).contains("PUT");
        assertThat(apply(new Command.Resolve(T2, true, List.of(b("k"))))).as("another transaction's resolve")
                .isEqualTo(new Result.Resolved(0));
        assertThat(sm.intentOn(b("k"))).contains("PUT");
    }
}
