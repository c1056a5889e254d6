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
    void intentsFoundOnDiskStillStopWritesAfterARestart() {
        var disk = new io.cairn.kv.engine.MemoryKvEngine();
        TestLog entries = new TestLog();
        new KvStateMachine(disk).apply(List.of(entries.entry(1_000, prepare(T1, List.of(), List.of(put("w", "new"))))));

        // A state machine opened over the same engine counts the intents it finds there: a write
        // skips looking for intents only while none is held.
        KvStateMachine restarted = new KvStateMachine(disk);
        restarted.checkConsistency();
        assertThat(restarted.apply(List.of(entries.entry(1_000, put("w", "other")))).get(0))
                .isInstanceOf(Result.Locked.class);
        assertThat(restarted.apply(List.of(entries.entry(1_000, new Command.Resolve(T1, false, List.of(b("w")))))).get(0))
                .isEqualTo(new Result.Resolved(1));
        assertThat(restarted.apply(List.of(entries.entry(1_000, put("w", "other")))).get(0))
                .isInstanceOf(Result.Written.class);
        restarted.checkConsistency();
        new KvStateMachine(disk).checkConsistency();
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
                new Row("READ", prepare(T2, List.of(modIs("k", 0)), List.of()), false), // readers share
                // An entry from before readers shared keys applies as it did.
                new Row("READ", new Command.Prepare(T2, b("primary"), List.of(modIs("k", 0)), List.of(), true, false), true),
                new Row("READ", prepare(T2, List.of(), List.of(put("k", "x"))), true),
                new Row("PUT", prepare(T2, List.of(modIs("k", 0)), List.of()), true),
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

    private static Command.Decide decide(Bytes txn, boolean commit, String... intentKeys) {
        return Command.Decide.of(txn, commit, b("primary"), java.util.Arrays.stream(intentKeys).map(TestLog::b).toList());
    }

    @Test
    void theFirstDecisionIsTheRecordAndLaterOnesReadIt() {
        apply(prepare(T1, List.of(), List.of(put("primary", "1"))));
        assertThat(apply(decide(T1, false))).isEqualTo(new Result.Decided(false));
        assertThat(apply(decide(T1, true, "primary"))).as("the coordinator came too late")
                .isEqualTo(new Result.Decided(false));
        apply(new Command.Resolve(T1, false, List.of(b("primary"))));

        apply(prepare(T2, List.of(), List.of(put("primary", "2"))));
        assertThat(apply(decide(T2, true, "primary"))).isEqualTo(new Result.Decided(true));
        assertThat(apply(decide(T2, false))).isEqualTo(new Result.Decided(true));
        assertThat(sm.intentHolders(b("primary"))).as("a commit leaves the intent to its resolve").containsExactly(T2);
    }

    /**
     * The rules that make a record safe to remove: a commit is recorded only while the primary's
     * intent is the transaction's; an abort drops that intent in the same entry.
     */
    @Test
    void aCommitNeedsThePrimarysIntentAndAnAbortDropsIt() {
        record Row(String what, Bytes primaryHolder, boolean commit, Result answer, Bytes holderAfter) {}
        Bytes other = b("txn-other");
        List<Row> rows = List.of(
                new Row("commit while held", T1, true, new Result.Decided(true), T1),
                new Row("commit with no intent: cleaned up long ago", null, true, new Result.OutcomeUnknown(), null),
                new Row("commit while another holds the primary", other, true, new Result.OutcomeUnknown(), other),
                new Row("abort while held drops the intent", T1, false, new Result.Decided(false), null),
                new Row("abort with no intent", null, false, new Result.Decided(false), null),
                new Row("abort leaves another's intent", other, false, new Result.Decided(false), other));
        for (Row row : rows) {
            KvStateMachine fresh = new KvStateMachine(new io.cairn.kv.engine.MemoryKvEngine());
            TestLog freshLog = new TestLog();
            if (row.primaryHolder() != null) {
                fresh.apply(List.of(freshLog.entry(1_000, prepare(row.primaryHolder(), List.of(), List.of(put("primary", "v"))))));
            }
            Result answer = fresh.apply(List.of(freshLog.entry(1_000, decide(T1, row.commit(), "primary", "elsewhere")))).get(0);
            assertThat(answer).as(row.what()).isEqualTo(row.answer());
            assertThat(fresh.intentHolders(b("primary"))).as(row.what())
                    .isEqualTo(row.holderAfter() == null ? List.of() : List.of(row.holderAfter()));
            var records = fresh.txnRecords(null, 10).items();
            if (answer instanceof Result.Decided d) {
                assertThat(records).as(row.what()).singleElement().satisfies(r -> {
                    assertThat(r.committed()).isEqualTo(d.committed());
                    assertThat(r.cleanable()).isTrue();
                    assertThat(r.intentKeys()).isEqualTo(List.of(b("primary"), b("elsewhere")));
                });
            } else {
                assertThat(records).as(row.what() + ": nothing written").isEmpty();
            }
            fresh.checkConsistency();
        }
    }

    @Test
    void aPrepareArrivingInThePrimarysShardAfterTheDecisionPlacesNothing() {
        assertThat(apply(decide(T1, false))).as("aborted by a writer that met another shard's intent")
                .isEqualTo(new Result.Decided(false));
        assertThat(apply(prepare(T1, List.of(), List.of(put("primary", "late")))))
                .isEqualTo(new Result.Decided(false));
        assertThat(sm.intentOn(b("primary"))).isEmpty();
        assertThat(apply(decide(T1, true, "primary"))).as("the late coordinator's commit")
                .isEqualTo(new Result.Decided(false));

        Command.Prepare legacy = new Command.Prepare(T1, b("primary"), List.of(), List.of(put("primary", "late")), true, false);
        assertThat(apply(legacy)).as("an entry from before applies as it did").isEqualTo(new Result.Prepared(-1));
        apply(new Command.Resolve(T1, false, List.of(b("primary"))));
    }

    @Test
    void aDecisionWithoutItsPrimaryKeyIsOneFromBeforeCleanupAndKeepsItsRecordForGood() {
        apply(prepare(T1, List.of(), List.of(put("primary", "1"))));
        assertThat(apply(new Command.Decide(T1, false, null, List.of()))).isEqualTo(new Result.Decided(false));
        assertThat(sm.intentHolders(b("primary"))).as("applied as before: the intent stays").containsExactly(T1);
        assertThat(sm.txnRecords(null, 10).items()).singleElement().satisfies(r -> assertThat(r.cleanable()).isFalse());
        apply(new Command.Resolve(T1, false, List.of(b("primary"))));
    }

    @Test
    void recordsAndIntentsArePagedInOrder() {
        for (String id : List.of("t1", "t2", "t3")) {
            apply(prepare(b(id), List.of(), List.of(put("k-" + id, "v"), put("primary", "p"))));
            apply(decide(b(id), false));
        }
        var first = sm.txnRecords(null, 2);
        assertThat(first.items()).extracting(KvStateMachine.TxnRecordView::txnId).containsExactly(b("t1"), b("t2"));
        var rest = sm.txnRecords(first.next(), 2);
        assertThat(rest.items()).extracting(KvStateMachine.TxnRecordView::txnId).containsExactly(b("t3"));
        assertThat(rest.next()).isNull();
        var intents = sm.intents(null, 10);
        assertThat(intents.items()).extracting(Result.Locked::key).containsExactly(b("k-t1"), b("k-t2"), b("k-t3"));
        assertThat(intents.items().get(1).txnId()).isEqualTo(b("t2"));
        assertThat(intents.next()).isNull();
        for (String id : List.of("t1", "t2", "t3")) {
            apply(new Command.Resolve(b(id), false, List.of(b("k-" + id))));
        }
    }

    /**
     * Readers share a key, a writer excludes everyone: which prepare on a key goes through,
     * given who already holds it. T1 holds first; T2 then prepares a read or a write of "k".
     */
    @Test
    void readIntentsAreSharedAndAWriteIntentIsExclusive() {
        record Row(String t1, String t2, Result t2Gets, List<Bytes> holdersAfter) {}
        Result.Locked byT1 = new Result.Locked(b("k"), T1, b("primary"), 1_000);
        Bytes t3 = b("txn-3");
        List<Row> rows = List.of(
                new Row("read", "read", new Result.Prepared(-1), List.of(T1, T2)),
                new Row("read", "write", byT1, List.of(T1)),
                new Row("write", "read", byT1, List.of(T1)),
                new Row("write", "write", byT1, List.of(T1)));
        for (Row row : rows) {
            KvStateMachine fresh = new KvStateMachine(new io.cairn.kv.engine.MemoryKvEngine());
            TestLog freshLog = new TestLog();
            java.util.function.BiFunction<Bytes, String, Result> prepareK = (txn, how) -> fresh.apply(List.of(
                    freshLog.entry(1_000, how.equals("read") ? prepare(txn, List.of(modIs("k", 0)), List.of(put("w-" + txn.toUtf8(), "x")))
                            : prepare(txn, List.of(), List.of(put("k", "x")))))).get(0);
            String what = "T1 " + row.t1() + "s, T2 " + row.t2() + "s";
            assertThat(prepareK.apply(T1, row.t1())).as(what).isEqualTo(new Result.Prepared(-1));
            assertThat(prepareK.apply(T2, row.t2())).as(what).isEqualTo(row.t2Gets());
            assertThat(fresh.intentHolders(b("k"))).as(what).isEqualTo(row.holdersAfter());
            if (row.holdersAfter().size() == 2) {
                assertThat(prepareK.apply(t3, "read")).as("a third reader").isEqualTo(new Result.Prepared(-1));
                assertThat(fresh.apply(List.of(freshLog.entry(1_000, put("k", "plain"))))).as("a plain write waits for all")
                        .singleElement().isInstanceOf(Result.Locked.class);
                assertThat(fresh.apply(List.of(freshLog.entry(1_000, new Command.Resolve(T2, true, List.of(b("k")))))))
                        .singleElement().isEqualTo(new Result.Resolved(1));
                assertThat(fresh.intentHolders(b("k"))).as("one reader resolved").containsExactly(T1, t3);
                assertThat(fresh.intents(null, 10).items()).extracting(Result.Locked::txnId).contains(T1, t3);
                fresh.apply(List.of(freshLog.entry(1_000, new Command.Resolve(T1, false, List.of(b("k"))))));
                fresh.apply(List.of(freshLog.entry(1_000, new Command.Resolve(t3, true, List.of(b("k"))))));
                assertThat(fresh.intentOn(b("k"))).as("the last reader gone").isEmpty();
                assertThat(fresh.get(b("k"), 1_000)).as("read intents write nothing").isEmpty();
            }
            fresh.checkConsistency();
        }
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
        apply(prepare(T1, List.of(), List.of(put("primary", "1"))));
        apply(decide(T1, true, "primary"));
        apply(new Command.Resolve(T1, true, List.of(b("primary"))));

        assertThat(apply(new Command.Forget(T1))).isEqualTo(new Result.Deleted(log.lastIndex(), true));
        assertThat(apply(new Command.Forget(T1))).isEqualTo(new Result.Deleted(log.lastIndex(), false));
        assertThat(apply(decide(T1, true, "primary"))).as("a commit after the record is gone")
                .isEqualTo(new Result.OutcomeUnknown());
        assertThat(apply(decide(T1, false))).as("an abort after the record is gone (a late intent met)")
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
