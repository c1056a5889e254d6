package io.cairn.kv.state;

import static io.cairn.kv.state.TestLog.b;
import static io.cairn.kv.state.TestLog.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.kv.engine.MemoryKvEngine;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Locks held by sessions: FIFO waiters, semaphores, read-write locks, the end of a session and
 * the lock delay, as the state machine applies them. Entry n of each test's log has index n.
 */
class SessionLockTest {
    private static final long TTL = 10_000;
    private static final int RW = Command.Lock.READ_WRITE_PERMITS;
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

    private static Command.Lock exclusive(String name, long session) {
        return take(name, session, 1, 1);
    }

    private static Command.Lock take(String name, long session, int permits, int weight) {
        return new Command.Lock(b(name), b("o" + session), TTL, session, permits, weight, true, 0);
    }

    private static Command.LockRelease release(String name, long session) {
        return new Command.LockRelease(b(name), session, b("o" + session));
    }

    private List<Long> holders(String name) {
        return sm.lockState(b(name), 0).map(s -> s.holders().stream().map(LockState.Entry::sessionId).toList())
                .orElse(List.of());
    }

    private List<Long> waiters(String name) {
        return sm.lockState(b(name), 0).map(s -> s.waiters().stream().map(LockState.Entry::sessionId).toList())
                .orElse(List.of());
    }

    @Test
    void waitersAreGrantedInTheOrderTheyAskedWithTheReleasingEntryAsToken() {
        assertThat(apply(1, exclusive("L", 1))).isEqualTo(new Result.LockGranted(1, 0));
        assertThat(apply(2, exclusive("L", 2))).isEqualTo(new Result.LockQueued(1, 1));
        assertThat(apply(3, exclusive("L", 3))).isEqualTo(new Result.LockQueued(2, 1));
        assertThat(apply(4, exclusive("L", 4))).isEqualTo(new Result.LockQueued(3, 1));

        assertThat(apply(5, release("L", 3))).as("a waiter leaves the line").isEqualTo(new Result.Released(0));
        assertThat(apply(6, release("L", 1))).isEqualTo(new Result.Released(1));

        assertThat(holders("L")).containsExactly(2L);
        assertThat(sm.lockState(b("L"), 0).orElseThrow().holders().get(0).token()).isEqualTo(6);
        assertThat(waiters("L")).containsExactly(4L);
        assertThat(apply(7, release("L", 2))).isEqualTo(new Result.Released(6));
        assertThat(holders("L")).containsExactly(4L);
        assertThat(apply(8, release("L", 4))).isEqualTo(new Result.Released(7));
        assertThat(sm.lockState(b("L"), 0)).isEmpty();
    }

    @Test
    void askingAgainReportsTheEntryAsItStandsWithoutQueueingTwice() {
        apply(1, exclusive("L", 1));
        apply(2, exclusive("L", 2));

        assertThat(apply(3, exclusive("L", 1))).isEqualTo(new Result.LockGranted(1, 0));
        assertThat(apply(4, exclusive("L", 2))).isEqualTo(new Result.LockQueued(1, 1));
        assertThat(waiters("L")).containsExactly(2L);
    }

    @Test
    void withoutWaitingABusyLockIsRefusedAndNothingIsQueued() {
        apply(1, exclusive("L", 1));

        Command.Lock noWait = new Command.Lock(b("L"), b("o2"), TTL, 2, 1, 1, false, 0);
        assertThat(apply(2, noWait)).isEqualTo(new Result.LockBusy(1, 0));
        assertThat(waiters("L")).isEmpty();
    }

    @Test
    void aSemaphoreGrantsItsPermitsAndAHeavyWaiterKeepsLighterOnesBehindIt() {
        assertThat(apply(1, take("S", 1, 3, 1))).isEqualTo(new Result.LockGranted(1, 0));
        assertThat(apply(2, take("S", 2, 3, 1))).isEqualTo(new Result.LockGranted(2, 0));
        assertThat(apply(3, take("S", 3, 3, 2))).isEqualTo(new Result.LockQueued(1, 2));
        assertThat(apply(4, take("S", 4, 3, 1))).as("one permit is free, but the waiter before it comes first")
                .isEqualTo(new Result.LockQueued(2, 2));

        apply(5, release("S", 1));

        assertThat(holders("S")).containsExactly(2L, 3L);
        assertThat(waiters("S")).containsExactly(4L);
        assertThat(apply(6, take("S", 5, 4, 1))).isInstanceOf(Result.Rejected.class)
                .extracting(r -> ((Result.Rejected) r).reason()).isEqualTo(RejectReason.LOCK_KIND);
        assertThat(sm.lockSessions()).as("a refused request leaves its session unknown here").doesNotContainKey(5L);
    }

    @Test
    void readersShareAndAWaitingWriterStopsNewReaders() {
        assertThat(apply(1, take("RW", 1, RW, 1))).isEqualTo(new Result.LockGranted(1, 0));
        assertThat(apply(2, take("RW", 2, RW, 1))).isEqualTo(new Result.LockGranted(2, 0));
        assertThat(apply(3, take("RW", 3, RW, RW))).isEqualTo(new Result.LockQueued(1, 2));
        assertThat(apply(4, take("RW", 4, RW, 1))).isEqualTo(new Result.LockQueued(2, 2));

        apply(5, release("RW", 1));
        assertThat(holders("RW")).containsExactly(2L);
        apply(6, release("RW", 2));
        assertThat(holders("RW")).containsExactly(3L);
        apply(7, release("RW", 3));
        assertThat(holders("RW")).containsExactly(4L);
    }

    @Test
    void anEndedSessionLeavesEveryLockAndItsWaitersAreGranted() {
        apply(1, exclusive("A", 1));
        apply(2, exclusive("B", 1));
        apply(3, exclusive("A", 2));
        apply(4, exclusive("B", 3));
        apply(5, exclusive("C", 1));
        apply(6, exclusive("C", 2));
        assertThat(waiters("C")).containsExactly(2L);

        assertThat(apply(7, new Command.EndSessions(List.of(1L), false))).isEqualTo(new Result.SessionsEnded(3));

        assertThat(holders("A")).containsExactly(2L);
        assertThat(holders("B")).containsExactly(3L);
        assertThat(holders("C")).containsExactly(2L);
        assertThat(sm.lockSessions()).containsOnlyKeys(2L, 3L);
        assertThat(apply(8, exclusive("D", 1))).as("an ended session is refused")
                .isEqualTo(new Result.SessionEnded(1));
    }

    @Test
    void aSessionThatExpiredHoldingALockClosesItForTheLockDelay() {
        apply(1_000, new Command.Lock(b("L"), b("o1"), TTL, 1, 1, 1, true, 500));
        apply(1_000, exclusive("L", 2));

        apply(2_000, new Command.EndSessions(List.of(1L), true));

        assertThat(holders("L")).isEmpty();
        assertThat(sm.lockState(b("L"), 2_000).orElseThrow().delayUntilMillis()).isEqualTo(2_500);
        assertThat(sm.nextExpiryMillis()).isEqualTo(2_500);
        assertThat(apply(2_100, new Command.Lock(b("L"), b("x"), 1_000))).as("a TTL lock waits out the delay too")
                .isEqualTo(new Result.LockBusy(0, 2_500));

        apply(2_500, new Command.Expire(2_500));

        assertThat(holders("L")).containsExactly(2L);
        assertThat(sm.lockState(b("L"), 2_500).orElseThrow().holders().get(0).token()).isEqualTo(5);
    }

    @Test
    void aSessionClosedByItsClientHasNoLockDelay() {
        apply(1_000, new Command.Lock(b("L"), b("o1"), TTL, 1, 1, 1, true, 500));
        apply(1_000, exclusive("L", 2));

        apply(2_000, new Command.EndSessions(List.of(1L), false));

        assertThat(holders("L")).containsExactly(2L);
    }

    @Test
    void aWaiterBehindATtlGrantIsGrantedWhenThatGrantLapses() {
        apply(1_000, new Command.Lock(b("L"), b("ttl"), 500));
        assertThat(apply(1_100, exclusive("L", 1))).isEqualTo(new Result.LockQueued(1, 1));
        assertThat(sm.nextExpiryMillis()).isEqualTo(1_500);

        apply(1_500, new Command.Expire(1_500));

        assertThat(holders("L")).containsExactly(1L);
        assertThat(apply(1_600, new Command.Lock(b("L"), b("ttl"), 500))).isEqualTo(new Result.LockBusy(3, 0));
    }

    @Test
    void aFencedWriteAppliesOnlyWhileTheSessionsGrantLasts() {
        apply(1, exclusive("{a}L", 1));
        apply(2, exclusive("{a}L", 2));

        assertThat(apply(3, new Command.Fenced(b("{a}L"), 1, put("{a}k", "v1")))).isInstanceOf(Result.Written.class);
        apply(4, new Command.EndSessions(List.of(1L), true));
        assertThat(apply(5, new Command.Fenced(b("{a}L"), 1, put("{a}k", "v2")))).isEqualTo(new Result.FencedOut(4));
        assertThat(apply(6, new Command.Fenced(b("{a}L"), 4, put("{a}k", "v3")))).isInstanceOf(Result.Written.class);
    }

    /**
     * A fenced write that releases: the write and the release are one entry, the next in line is
     * granted in it (its token is that entry's index), and the holder's session leaves the lock.
     * A stale token releases nothing and writes nothing.
     */
    @Test
    void aFencedWriteThatReleasesHandsTheLockOnInTheSameEntry() {
        apply(1, exclusive("{a}L", 1));
        apply(2, exclusive("{a}L", 2));

        Result written = apply(3, new Command.Fenced(b("{a}L"), 1, put("{a}k", "v1"), true));
        assertThat(written).isInstanceOf(Result.Written.class);
        assertThat(((Result.Written) written).revision()).isEqualTo(3);
        assertThat(holders("{a}L")).containsExactly(2L);
        assertThat(sm.lockState(b("{a}L"), 0).orElseThrow().holders().get(0).token()).isEqualTo(3);
        assertThat(waiters("{a}L")).isEmpty();

        assertThat(apply(4, new Command.Fenced(b("{a}L"), 1, put("{a}k", "v2"), true))).isEqualTo(new Result.FencedOut(3));
        assertThat(holders("{a}L")).containsExactly(2L);
        assertThat(apply(5, release("{a}L", 1))).isInstanceOf(Result.NotHolder.class);
        assertThat(apply(6, new Command.Fenced(b("{a}L"), 3, new Command.Delete(b("{a}k")), true)))
                .isInstanceOf(Result.Deleted.class);
        assertThat(holders("{a}L")).isEmpty();
        assertThatThrownBy(() -> new Command.Fenced(b("{a}L"), 3, new Command.SetTtl(b("{a}k"), 5), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("put or a delete");

        // Readers granted by one entry share its token: a write does not release a shared lock.
        apply(7, take("{a}R", 5, RW, 1));
        apply(8, take("{a}R", 6, RW, 1));
        assertThat(apply(9, new Command.Fenced(b("{a}R"), 7, put("{a}k", "r"), true))).isInstanceOf(Result.Rejected.class);
        assertThat(holders("{a}R")).containsExactly(5L, 6L);
    }

    /**
     * A session counts the locks it has entries in, so releasing one does not scan its index
     * (whose deleted keys a scan steps over: one session cycling through a thousand lock names
     * made every release slower). A record of an older release, without the count, is counted
     * once by a scan and rewritten with it.
     */
    @Test
    void aSessionCountsItsLocksAndAnOlderRecordIsCountedOnce() {
        apply(1, exclusive("A", 1));
        apply(2, exclusive("B", 1));
        // Another handle of the same session waits for B: one index key and one count per lock.
        assertThat(apply(3, new Command.Lock(b("B"), b("other"), TTL, 1, 1, 1, true, 0))).isInstanceOf(Result.LockQueued.class);
        byte[] sessionKey = Keyspace.lockSessionKey(1);
        assertThat(LockSession.decode(engine.get(sessionKey), sessionKey).locks()).isEqualTo(2);

        // As an older release stored it: version 1, ttl, ended 0, no count.
        io.cairn.kv.engine.WriteBatch older = new io.cairn.kv.engine.WriteBatch();
        older.put(sessionKey, new Encoder(8).writeByte(1).writeVarLong(TTL).writeVarLong(0).toArray());
        engine.write(older);
        assertThat(LockSession.decode(engine.get(sessionKey), sessionKey).locks()).isEqualTo(LockSession.LOCKS_UNKNOWN);

        apply(4, release("A", 1));
        assertThat(LockSession.decode(engine.get(sessionKey), sessionKey).locks()).isEqualTo(1);
        apply(5, release("B", 1));
        assertThat(LockSession.decode(engine.get(sessionKey), sessionKey).locks()).as("its other handle still waits").isEqualTo(1);
        apply(6, new Command.LockRelease(b("B"), 1, b("other")));
        assertThat(engine.get(sessionKey)).as("the session left the shard with its last lock").isNull();
    }

    @Test
    void theHostLearnsWhichLocksChangedAndWhichSessionsCameAndWent() {
        KvStateMachine.Staged staged = sm.stage(List.of(
                log.entry(1, exclusive("A", 7)), log.entry(2, exclusive("B", 8)), log.entry(3, release("B", 8))));
        engine.write(staged.writes());
        staged.commit();

        assertThat(staged.locksChanged()).containsExactly(b("A"), b("B"));
        assertThat(staged.sessionsOpened()).isEqualTo(Map.of(7L, TTL));
        assertThat(staged.sessionsLeft()).isEqualTo(Set.of(8L));
    }

    @Test
    void aSessionWithTwoEntriesInOneLockKeepsTheOtherWhenItReleasesOneAndEndsBoth() {
        Command.Lock firstReader = new Command.Lock(b("RW"), b("r1"), TTL, 1, RW, 1, true, 0);
        Command.Lock secondReader = new Command.Lock(b("RW"), b("r2"), TTL, 1, RW, 1, true, 0);
        apply(1, firstReader);
        apply(2, secondReader);

        assertThat(apply(3, new Command.LockRelease(b("RW"), 1, b("r1")))).isEqualTo(new Result.Released(1));
        assertThat(sm.lockSessions()).containsOnlyKeys(1L);
        sm.checkConsistency();

        assertThat(apply(4, new Command.EndSessions(List.of(1L), false))).isEqualTo(new Result.SessionsEnded(1));
        assertThat(sm.lockState(b("RW"), 0)).isEmpty();
    }

    @Test
    void aHolderProclaimsAValueAndAWaiterCannot() {
        apply(1, new Command.Lock(b("E"), b("o1"), TTL, 1, 1, 1, true, 0, b("alice")));
        apply(2, new Command.Lock(b("E"), b("o2"), TTL, 2, 1, 1, true, 0, b("bob")));

        assertThat(apply(3, new Command.Proclaim(b("E"), 1, b("o1"), b("alice-2")))).isEqualTo(new Result.LockGranted(1, 0));
        assertThat(apply(4, new Command.Proclaim(b("E"), 2, b("o2"), b("bob-2")))).isEqualTo(new Result.NotHolder(1));
        assertThat(sm.lockState(b("E"), 0).orElseThrow().holders().get(0).value()).isEqualTo(b("alice-2"));
        apply(5, release("E", 1));
        assertThat(sm.lockState(b("E"), 0).orElseThrow().holders().get(0).value()).isEqualTo(b("bob"));
    }

    @Test
    void anEndedSessionIsForgottenAfterItsKeepTime() {
        apply(1_000, exclusive("L", 1));
        apply(1_000, new Command.EndSessions(List.of(1L), true));
        long forgetAt = 1_000 + LockTable.ENDED_SESSION_KEEP_MILLIS;
        assertThat(sm.nextExpiryMillis()).isEqualTo(forgetAt);

        apply(forgetAt, new Command.Expire(forgetAt));

        assertThat(engine.scan(Keyspace.familyStart(Keyspace.LOCK_SESSION), Keyspace.familyEnd(Keyspace.LOCK_SESSION_ENDED),
                10)).isEmpty();
        assertThat(apply(forgetAt, exclusive("L", 1))).isInstanceOf(Result.LockGranted.class);
    }
}
