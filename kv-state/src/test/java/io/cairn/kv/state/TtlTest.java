package io.cairn.kv.state;

import static io.cairn.kv.state.TestLog.b;
import static io.cairn.kv.state.TestLog.put;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.consensus.LogEntry;
import io.cairn.kv.engine.MemoryKvEngine;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TtlTest {
    private final MemoryKvEngine engine = new MemoryKvEngine();
    private final KvStateMachine sm = new KvStateMachine(engine);
    private final TestLog log = new TestLog();

    @AfterEach
    void indexesStayConsistent() {
        sm.checkConsistency();
    }

    private Result apply(LogEntry entry) {
        return sm.apply(List.of(entry)).get(0);
    }

    @Test
    void aKeyIsVisibleBeforeItsExpiryAndInvisibleFromItOn() {
        apply(log.entry(1_000, put("a", "1", 500)));

        assertThat(sm.get(b("a"), 1_499)).hasValueSatisfying(kv -> assertThat(kv.expiresAtMillis()).isEqualTo(1_500));
        assertThat(sm.get(b("a"), 1_500)).isEmpty();
        assertThat(sm.get(b("a"), 9_999)).isEmpty();
        assertThat(sm.scan(KeyRange.all(), 10, 1_499).entries()).hasSize(1);
        assertThat(sm.scan(KeyRange.all(), 10, 1_500).entries()).isEmpty();
    }

    @Test
    void aTtlChangeKeepsTheValueMovesTheVersionAndLeavesAnAbsentKeyAbsent() {
        apply(log.entry(1_000, put("a", "1")));

        Result set = apply(log.entry(2_000, new Command.SetTtl(b("a"), 500)));
        assertThat(set).isInstanceOf(Result.Written.class);
        assertThat(sm.get(b("a"), 2_499)).hasValueSatisfying(kv -> {
            assertThat(kv.value()).isEqualTo(b("1"));
            assertThat(kv.version()).isEqualTo(2);
            assertThat(kv.expiresAtMillis()).as("from the entry's leader time").isEqualTo(2_500);
        });
        assertThat(sm.nextExpiryMillis()).isEqualTo(2_500);

        Result persisted = apply(log.entry(2_100, new Command.SetTtl(b("a"), 0)));
        assertThat(persisted).isInstanceOf(Result.Written.class);
        assertThat(sm.get(b("a"), 99_999)).hasValueSatisfying(kv -> assertThat(kv.expiresAtMillis()).isZero());
        assertThat(sm.nextExpiryMillis()).as("the old deadline left the index").isEqualTo(Long.MAX_VALUE);

        apply(log.entry(3_000, put("short", "1", 100)));
        assertThat(apply(log.entry(3_100, new Command.SetTtl(b("short"), 5_000))))
                .as("expired, not yet removed: absent").isEqualTo(new Result.Deleted(5, false));
        assertThat(apply(log.entry(3_100, new Command.SetTtl(b("never"), 5_000)))).isEqualTo(new Result.Deleted(6, false));
        assertThat(sm.get(b("never"), 3_100)).isEmpty();
    }

    @Test
    void nextExpiryIsTheEarliestKeyExpiryAndNothingWhenNoKeyHasATtl() {
        assertThat(sm.nextExpiryMillis()).isEqualTo(Long.MAX_VALUE);
        sm.apply(List.of(
                log.entry(1_000, put("forever", "1")),
                log.entry(1_000, put("long", "1", 10_000)),
                log.entry(1_000, put("short", "1", 100))));
        assertThat(sm.nextExpiryMillis()).isEqualTo(1_100);
        apply(log.entry(1_100, new Command.Expire(1_100)));
        assertThat(sm.nextExpiryMillis()).isEqualTo(11_000);
    }

    @Test
    void expireRemovesOnlyKeysThatAreDue() {
        sm.apply(List.of(
                log.entry(1_000, put("short", "1", 100)),
                log.entry(1_000, put("long", "1", 10_000)),
                log.entry(1_000, put("forever", "1"))));

        Result result = apply(log.entry(1_100, new Command.Expire(1_100)));

        assertThat(result).isEqualTo(new Result.Expired(1, 0, false));
        assertThat(sm.scan(KeyRange.all(), 10, 0).entries()).extracting(KeyValue::key)
                .containsExactly(b("forever"), b("long"));
        // Physically gone: even a read in the past no longer finds it.
        assertThat(sm.get(b("short"), 1_000)).isEmpty();
    }

    @Test
    void expireRemovesAtMostItsBoundAndSaysThereIsMore() {
        KvStateMachine bounded = new KvStateMachine(new MemoryKvEngine(),
                new KvStateMachine.Options(Limits.DEFAULT, 600_000, 3));
        TestLog l = new TestLog();
        for (int i = 0; i < 5; i++) {
            bounded.apply(List.of(l.entry(1_000, put("k" + i, "v", 10 + i))));
        }

        Result first = bounded.apply(List.of(l.entry(2_000, new Command.Expire(2_000)))).get(0);
        Result second = bounded.apply(List.of(l.entry(2_000, new Command.Expire(2_000)))).get(0);

        assertThat(first).isEqualTo(new Result.Expired(3, 0, true));
        assertThat(second).isEqualTo(new Result.Expired(2, 0, false));
        assertThat(bounded.scan(KeyRange.all(), 10, 0).entries()).isEmpty();
        bounded.checkConsistency();
    }

    @Test
    void aPutWithoutTtlClearsTheKeysTtl() {
        apply(log.entry(1_000, put("a", "1", 100)));
        apply(log.entry(1_050, put("a", "2")));
        apply(log.entry(5_000, new Command.Expire(5_000)));

        assertThat(sm.get(b("a"), 5_000)).hasValueSatisfying(kv -> {
            assertThat(kv.version()).isEqualTo(2);
            assertThat(kv.hasTtl()).isFalse();
        });
    }

    @Test
    void aRewriteMovesTheExpiry() {
        apply(log.entry(1_000, put("a", "1", 100)));
        apply(log.entry(1_050, put("a", "2", 1_000)));

        assertThat(apply(log.entry(1_200, new Command.Expire(1_200)))).isEqualTo(new Result.Expired(0, 0, false));
        assertThat(sm.get(b("a"), 1_200).orElseThrow().expiresAtMillis()).isEqualTo(2_050);
    }

    @Test
    void writesSeeAnExpiredButNotYetRemovedKeyAsAbsent() {
        apply(log.entry(1_000, put("a", "1", 100)));
        apply(log.entry(1_000, put("a", "2", 100)));

        assertThat(apply(log.entry(2_000, TestLog.cas("a", 2, "x")))).isEqualTo(new Result.CasFailed(0));
        assertThat(apply(log.entry(2_000, new Command.Delete(b("a"))))).isEqualTo(new Result.Deleted(4, false));
        assertThat(apply(log.entry(2_000, put("b", "1", 100)))).isEqualTo(new Result.Written(5, 1));
        assertThat(apply(log.entry(3_000, put("b", "2")))).isEqualTo(new Result.Written(6, 1));
        assertThat(sm.get(b("b"), 3_000).orElseThrow().createRevision()).isEqualTo(6);
    }

    @Test
    void theStateMachineClockNeverGoesBackWhenALeaderClockLags() {
        apply(log.entry(1_000, put("a", "1", 100)));
        apply(log.entry(5_000, put("tick", "1")));

        // A new leader whose clock is behind: the key stays expired for writes.
        Result cas = apply(log.term(2).entry(1_050, TestLog.cas("a", 1, "2")));

        assertThat(cas).isEqualTo(new Result.CasFailed(0));
        assertThat(sm.clockMillis()).isEqualTo(5_000);
        assertThat(apply(log.entry(1_060, put("c", "1", 100)))).isInstanceOf(Result.Written.class);
        assertThat(sm.get(b("c"), 5_099)).hasValueSatisfying(kv -> assertThat(kv.expiresAtMillis()).isEqualTo(5_100));
    }

    @Test
    void theClockSurvivesARestart() {
        apply(log.entry(7_000, put("a", "1")));

        assertThat(new KvStateMachine(engine).clockMillis()).isEqualTo(7_000);
    }

    @Test
    void aKeyWrittenAndExpiredInOneBatchIsGoneAfterIt() {
        sm.apply(List.of(
                log.entry(1_000, put("a", "1", 10)),
                log.entry(1_000, put("b", "1", 10)),
                log.entry(1_005, new Command.Delete(b("b"))),
                log.entry(1_020, new Command.Expire(1_020))));

        assertThat(sm.scan(KeyRange.all(), 10, 0).entries()).isEmpty();
    }

    @Test
    void aHugeTtlSaturatesInsteadOfOverflowing() {
        apply(log.entry(Long.MAX_VALUE - 5, put("a", "1", 100)));

        assertThat(sm.get(b("a"), Long.MAX_VALUE - 1).orElseThrow().expiresAtMillis()).isEqualTo(Long.MAX_VALUE);
        assertThat(apply(log.entry(Long.MAX_VALUE, new Command.Expire(Long.MAX_VALUE))))
                .isEqualTo(new Result.Expired(1, 0, false));
    }

    @Test
    void theCensusCountsTtlKeysAndLocksAndStopsAtItsBound() {
        sm.apply(List.of(
                log.entry(1_000, put("forever", "1")),
                log.entry(1_000, put("a", "1", 10_000)),
                log.entry(1_000, put("b", "1", 10_000)),
                log.entry(1_000, put("c", "1", 10_000)),
                log.entry(1_000, new Command.Lock(b("L"), b("owner"), 5_000))));

        KvStateMachine.Census all = sm.census(100);
        assertThat(all.ttlKeys()).isEqualTo(3);
        assertThat(all.locksHeld()).isEqualTo(1);
        assertThat(all.intents()).isZero();
        assertThat(all.capped()).isFalse();

        KvStateMachine.Census bounded = sm.census(2);
        assertThat(bounded.ttlKeys()).as("stops at the bound").isEqualTo(2);
        assertThat(bounded.capped()).isTrue();
    }
}
