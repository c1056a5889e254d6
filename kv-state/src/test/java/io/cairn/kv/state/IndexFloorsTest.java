package io.cairn.kv.state;

import static io.cairn.kv.state.TestLog.b;
import static io.cairn.kv.state.TestLog.put;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Expiry reads a deadline index from where its live entries begin, not from the start of the
 * family: on RocksDB the start is followed by the delete markers of every entry expired so far.
 */
class IndexFloorsTest {
    private static final int BATCH = 10;
    private final CountingEngine engine = new CountingEngine();
    private final KvStateMachine sm = new KvStateMachine(engine,
            new KvStateMachine.Options(Limits.DEFAULT, KvStateMachine.Options.SESSION_TTL_MILLIS_DEFAULT, BATCH));
    private final TestLog log = new TestLog();

    @AfterEach
    void indexesStayConsistent() {
        sm.checkConsistency();
    }

    @Test
    void eachExpireAndEachLookForTheNextDeadlineStartsPastWhatEarlierExpiresRemoved() {
        List<io.cairn.consensus.LogEntry> puts = new ArrayList<>();
        for (int i = 0; i < 3 * BATCH; i++) {
            puts.add(log.entry(1_000, put(String.format("k%03d", i), "v", 500)));
        }
        sm.apply(puts);
        byte[] expiryStart = Keyspace.familyStart(Keyspace.EXPIRY);

        for (int round = 0; round < 3; round++) {
            assertThat(sm.nextExpiryMillis()).isEqualTo(1_500);
            engine.scanStarts.clear();
            Result.Expired expired = (Result.Expired) sm.apply(List.of(log.entry(1_500, new Command.Expire(1_500)))).get(0);
            assertThat(expired.keysRemoved()).isEqualTo(BATCH);
            byte[] removedBefore = round == 0 ? expiryStart
                    : Keyspace.expiryKey(1_500, b(String.format("k%03d", round * BATCH - 1)));
            assertThat(expiryScans())
                    .as("round %s reads the TTL index from past the keys removed before", round)
                    .hasSize(1)
                    .allSatisfy(from -> assertThat(Arrays.compareUnsigned(from, removedBefore)).isPositive());
        }
        assertThat(sm.nextExpiryMillis()).isEqualTo(Long.MAX_VALUE);
        engine.scanStarts.clear();
        assertThat(sm.nextExpiryMillis()).isEqualTo(Long.MAX_VALUE);
        assertThat(expiryScans()).hasSize(1).as("an emptied index is looked at from its end").allSatisfy(from ->
                assertThat(from).isEqualTo(Keyspace.familyEnd(Keyspace.EXPIRY)));
    }

    @Test
    void anExpireThatFindsNothingDueMovesPastEntriesThatLeftByAnUpdate() {
        List<io.cairn.consensus.LogEntry> entries = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
            entries.add(log.entry(1_000, put("k" + i, "v", 500)));
        }
        for (int i = 0; i < BATCH; i++) {
            entries.add(log.entry(1_001, put("k" + i, "v2")));
        }
        sm.apply(entries);
        // A follower's view: it applies the leader's Expires and never looks for deadlines itself.
        sm.apply(List.of(log.entry(1_100, new Command.Expire(1_100))));
        engine.scanStarts.clear();
        sm.apply(List.of(log.entry(1_200, new Command.Expire(1_200))));
        assertThat(expiryScans()).hasSize(1).allSatisfy(from ->
                assertThat(Arrays.compareUnsigned(from, Keyspace.expiryEndAfter(1_100))).isNotNegative());
    }

    @Test
    void aDeadlineWrittenBelowTheFloorIsStillFound() {
        assertThat(sm.nextExpiryMillis()).as("empty: the floor moves to the family's end").isEqualTo(Long.MAX_VALUE);
        sm.apply(List.of(log.entry(1_000, put("late", "v", 9_000)), log.entry(1_000, put("soon", "v", 100))));
        assertThat(sm.nextExpiryMillis()).isEqualTo(1_100);

        Result.Expired expired = (Result.Expired) sm.apply(List.of(log.entry(1_100, new Command.Expire(1_100)))).get(0);
        assertThat(expired.keysRemoved()).isEqualTo(1);
        assertThat(sm.get(b("soon"), 1_100)).isEmpty();
        assertThat(sm.get(b("late"), 1_100)).isPresent();
        assertThat(sm.nextExpiryMillis()).isEqualTo(10_000);
    }

    @Test
    void aFreshStateMachineOverTheSameEngineFindsTheSameDeadlines() {
        sm.apply(List.of(log.entry(1_000, put("a", "v", 100)), log.entry(1_000, put("b", "v", 200))));
        sm.apply(List.of(log.entry(1_100, new Command.Expire(1_100))));
        KvStateMachine reopened = new KvStateMachine(engine);
        assertThat(reopened.nextExpiryMillis()).isEqualTo(sm.nextExpiryMillis()).isEqualTo(1_200);
    }

    /** The starts of the scans that read the TTL index. */
    private List<byte[]> expiryScans() {
        return engine.scanStarts.stream()
                .filter(from -> from[0] == Keyspace.EXPIRY || Arrays.equals(from, Keyspace.familyEnd(Keyspace.EXPIRY)))
                .toList();
    }
}
