package io.cairn.multiraft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The loop's tick rule: replay a short stall's owed ticks, skip a long one's, and distrust leases after either start or skip. */
class TickScheduleTest {
    private static final long TICK = 10;
    private static final int ELECTION_TICKS = 10;

    @Test
    void aStallIsMadeUpTickByTickWhileAtMostTenMoreAreOwedAndSkippedBeyond() {
        record Row(long stalledTicks, int ticksTaken, boolean skipped) {}
        List<Row> rows = List.of(
                new Row(0, 1, false),
                new Row(3, 4, false),
                new Row(10, 11, false),
                new Row(11, 12, false),
                new Row(12, 1, true),
                new Row(500, 1, true));
        for (Row row : rows) {
            TickSchedule s = new TickSchedule(TICK, ELECTION_TICKS, 0, TICK);
            long now = TICK + row.stalledTicks() * TICK;
            int taken = 0;
            while (s.takeDue(now)) {
                taken++;
            }
            assertThat(taken).as("a stall of %d ticks", row.stalledTicks()).isEqualTo(row.ticksTaken());
            assertThat(s.nanosUntilDue(now)).as("caught up").isPositive();
            long quiet = now + (ELECTION_TICKS + 1) * TICK;
            // Just past an election timeout of quiet ticks after a skip, or since the start for a replayed stall.
            long trustFrom = row.skipped() ? quiet + 1 : (ELECTION_TICKS + 1) * TICK + 1;
            advanceTo(s, trustFrom);
            assertThat(s.leaseTrusted(trustFrom)).as("a stall of %d ticks, at %d", row.stalledTicks(), trustFrom).isTrue();
            if (row.skipped()) {
                advanceTo(s, quiet - TICK);
                assertThat(s.leaseTrusted(quiet - TICK)).as("within an election timeout of the skip").isFalse();
            }
        }
    }

    @Test
    void aLeaseIsNotTrustedWhileATickIsOwedNorSoonAfterStart() {
        TickSchedule s = new TickSchedule(TICK, ELECTION_TICKS, 0, TICK);
        advanceTo(s, 100);
        assertThat(s.leaseTrusted(100)).as("an election timeout after start, not more").isFalse();
        advanceTo(s, 115);
        assertThat(s.leaseTrusted(115)).isTrue();
        assertThat(s.leaseTrusted(120)).as("the tick due at 120 is owed").isFalse();
    }

    private static void advanceTo(TickSchedule s, long now) {
        for (long t = 0; t <= now; t++) {
            while (s.takeDue(t)) {
                // take every tick as it falls due
            }
        }
    }
}
