package io.cairn.kv.state;

import static io.cairn.kv.state.TestLog.b;
import static io.cairn.kv.state.TestLog.put;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.consensus.LogEntry;
import io.cairn.kv.engine.MemoryKvEngine;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SessionTest {
    private static final long CLIENT = 0x5EED_CAFE_1234L;
    private static final long SESSION_TTL_MILLIS = 60_000;

    private final MemoryKvEngine engine = new MemoryKvEngine();
    private final KvStateMachine sm = new KvStateMachine(engine,
            new KvStateMachine.Options(Limits.DEFAULT, SESSION_TTL_MILLIS, 100));
    private final TestLog log = new TestLog();

    @AfterEach
    void indexesStayConsistent() {
        sm.checkConsistency();
    }

    private Result apply(LogEntry entry) {
        return sm.apply(List.of(entry)).get(0);
    }

    @Test
    void aRetryWithTheSameSequenceGetsTheStoredResultAndIsAppliedOnce() {
        Result first = apply(log.entry(CLIENT, 1, 100, put("a", "1")));
        Result retry = apply(log.entry(CLIENT, 1, 200, put("a", "1")));

        assertThat(retry).isEqualTo(first).isEqualTo(new Result.Written(1, 1));
        assertThat(sm.get(b("a"), 300).orElseThrow().version()).isEqualTo(1);
    }

    @Test
    void aRetryOfACompareAndSetGetsItsOriginalOutcomeEvenAfterTheKeyChanged() {
        apply(log.entry(CLIENT, 1, 100, TestLog.cas("a", 0, "mine")));
        apply(log.entry(7, 1, 100, put("a", "other")));

        Result retry = apply(log.entry(CLIENT, 1, 100, TestLog.cas("a", 0, "mine")));

        assertThat(retry).isEqualTo(new Result.Written(1, 1));
        assertThat(sm.get(b("a"), 100).orElseThrow().value()).isEqualTo(b("other"));
    }

    @Test
    void anOlderSequenceIsStaleAndChangesNothing() {
        apply(log.entry(CLIENT, 1, 100, put("a", "1")));
        apply(log.entry(CLIENT, 2, 100, put("a", "2")));

        Result late = apply(log.entry(CLIENT, 1, 100, put("a", "1")));

        assertThat(late).isEqualTo(new Result.Stale(2));
        assertThat(sm.get(b("a"), 100).orElseThrow().value()).isEqualTo(b("2"));
        assertThat(apply(log.entry(CLIENT, 2, 100, put("a", "2")))).isEqualTo(new Result.Written(2, 2));
    }

    @Test
    void sequencesMayJumpAheadAndClientsAreIndependent() {
        assertThat(apply(log.entry(CLIENT, 5, 100, put("a", "1")))).isEqualTo(new Result.Written(1, 1));
        assertThat(apply(log.entry(CLIENT + 1, 1, 100, put("a", "2")))).isEqualTo(new Result.Written(2, 2));
        assertThat(apply(log.entry(CLIENT, 4, 100, put("a", "3")))).isEqualTo(new Result.Stale(5));
        assertThat(apply(log.entry(-3, 9, 100, put("a", "4")))).isEqualTo(new Result.Written(4, 3));
    }

    @Test
    void aRejectionIsTheStoredResultOfItsSequenceToo() {
        Command tooBig = new Command.Put(b("k"), io.cairn.common.Bytes.wrap(new byte[Limits.VALUE_BYTES_MAX_DEFAULT + 1]), 0);
        Result first = apply(log.entry(CLIENT, 1, 100, tooBig));
        Result retry = apply(log.entry(CLIENT, 1, 100, tooBig));

        assertThat(first).isInstanceOf(Result.Rejected.class).isEqualTo(retry);
    }

    @Test
    void retriesInTheSameBatchAreAppliedOnce() {
        List<Result> results = sm.apply(List.of(
                log.entry(CLIENT, 1, 100, put("a", "1")),
                log.entry(CLIENT, 1, 100, put("a", "1")),
                log.entry(CLIENT, 2, 100, put("a", "2")),
                log.entry(CLIENT, 1, 100, put("a", "1"))));

        assertThat(results).containsExactly(new Result.Written(1, 1), new Result.Written(1, 1),
                new Result.Written(3, 2), new Result.Stale(2));
    }

    @Test
    void deduplicationSurvivesARestart() {
        apply(log.entry(CLIENT, 1, 100, put("a", "1")));
        KvStateMachine restarted = new KvStateMachine(engine);

        Result retry = restarted.apply(List.of(log.entry(CLIENT, 1, 100, put("a", "1")))).get(0);

        assertThat(retry).isEqualTo(new Result.Written(1, 1));
        assertThat(restarted.get(b("a"), 100).orElseThrow().version()).isEqualTo(1);
    }

    @Test
    void expireForgetsOnlySessionsIdleLongerThanTheSessionTtl() {
        apply(log.entry(1, 1, 1_000, put("a", "1")));
        apply(log.entry(2, 1, 30_000, put("b", "1")));

        Result expired = apply(log.entry(61_001, new Command.Expire(61_001)));

        assertThat(expired).isEqualTo(new Result.Expired(0, 1, false));
        // Client 2 is still known, so its retry is deduplicated.
        assertThat(apply(log.entry(2, 1, 61_002, put("b", "1")))).isEqualTo(new Result.Written(2, 1));
    }

    @Test
    void aClientIdleLongerThanTheSessionTtlMaySeeARetryAppliedTwice() {
        apply(log.entry(CLIENT, 1, 1_000, put("a", "1")));
        apply(log.entry(100_000, new Command.Expire(100_000)));

        Result retry = apply(log.entry(CLIENT, 1, 100_001, put("a", "1")));

        // The documented caveat: the session is gone, so the write applies a second time.
        assertThat(retry).isEqualTo(new Result.Written(3, 2));
    }

    @Test
    void activityKeepsASessionAlive() {
        apply(log.entry(CLIENT, 1, 1_000, put("a", "1")));
        apply(log.entry(CLIENT, 2, 50_000, put("a", "2")));
        apply(log.entry(100_000, new Command.Expire(100_000)));

        assertThat(apply(log.entry(CLIENT, 2, 100_001, put("a", "2")))).isEqualTo(new Result.Written(2, 2));
    }

    @Test
    void anExpireWithASessionThatForgetsItsOwnSessionStillRecordsItself() {
        apply(log.entry(CLIENT, 1, 1_000, put("a", "1")));

        Result expired = apply(log.entry(CLIENT, 2, 100_000, new Command.Expire(100_000)));
        Result retry = apply(log.entry(CLIENT, 2, 100_001, new Command.Expire(100_001)));

        assertThat(expired).isEqualTo(new Result.Expired(0, 1, false));
        assertThat(retry).isEqualTo(expired);
    }

    @Test
    void commandsWithoutASessionAreNeverDeduplicated() {
        apply(log.entry(100, put("a", "1")));
        apply(log.entry(100, put("a", "1")));

        assertThat(sm.get(b("a"), 100).orElseThrow().version()).isEqualTo(2);
    }

    @Test
    void expireForgetsAtMostItsBoundOfSessionsAndSaysThereIsMore() {
        KvStateMachine bounded = new KvStateMachine(new MemoryKvEngine(),
                new KvStateMachine.Options(Limits.DEFAULT, SESSION_TTL_MILLIS, 2));
        TestLog l = new TestLog();
        for (long client = 1; client <= 5; client++) {
            bounded.apply(List.of(l.entry(client, 1, 1_000, put("k" + client, "v"))));
        }

        List<Result> results = bounded.apply(List.of(
                l.entry(100_000, new Command.Expire(100_000)),
                l.entry(100_000, new Command.Expire(100_000)),
                l.entry(100_000, new Command.Expire(100_000))));

        assertThat(results).containsExactly(new Result.Expired(0, 2, true), new Result.Expired(0, 2, true),
                new Result.Expired(0, 1, false));
        bounded.checkConsistency();
    }
}
