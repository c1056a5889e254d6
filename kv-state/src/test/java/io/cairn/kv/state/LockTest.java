package io.cairn.kv.state;

import static io.cairn.kv.state.TestLog.b;
import static io.cairn.kv.state.TestLog.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.Bytes;
import io.cairn.kv.engine.MemoryKvEngine;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Locks with their own TTL, fencing tokens and fenced writes, as the state machine applies them. */
class LockTest {
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

    private static Command.Lock lock(String name, String owner, long ttlMillis) {
        return new Command.Lock(b(name), b(owner), ttlMillis);
    }

    private static Command fenced(String lock, long token, Command write) {
        return new Command.Fenced(b(lock), token, write);
    }

    @Test
    void aFreeLockIsGrantedWithTheEntryIndexAsItsTokenUntilLeaderTimePlusTtl() {
        apply(1_000, put("x", "0"));

        assertThat(apply(1_000, lock("L", "alice", 500))).isEqualTo(new Result.LockGranted(2, 1_500));
        assertThat(sm.lock(b("L"), 1_499)).contains(new LockGrant(b("L"), b("alice"), 2, 1_500));
        assertThat(sm.lock(b("L"), 1_500)).as("expired at its deadline").isEmpty();
    }

    @Test
    void anotherOwnerFindsTheLockBusyAndTheHolderExtendsItKeepingItsToken() {
        apply(1_000, lock("L", "alice", 500));

        assertThat(apply(1_200, lock("L", "bob", 500))).isEqualTo(new Result.LockBusy(1, 1_500));
        assertThat(apply(1_300, lock("L", "alice", 500))).isEqualTo(new Result.LockGranted(1, 1_800));
        assertThat(apply(1_700, lock("L", "bob", 500))).isEqualTo(new Result.LockBusy(1, 1_800));
    }

    @Test
    void anExpiredGrantIsFreeAndTheNextGrantHasALargerToken() {
        apply(1_000, lock("L", "alice", 500));

        assertThat(apply(1_500, lock("L", "bob", 500))).isEqualTo(new Result.LockGranted(2, 2_000));
        // The old holder coming back gets a fresh grant only once bob's expired, with a larger token still.
        assertThat(apply(1_600, lock("L", "alice", 500))).isEqualTo(new Result.LockBusy(2, 2_000));
        assertThat(apply(2_000, lock("L", "alice", 500))).isEqualTo(new Result.LockGranted(4, 2_500));
    }

    @Test
    void onlyTheCurrentTokenReleasesTheLock() {
        apply(1_000, lock("L", "alice", 500));

        assertThat(apply(1_100, new Command.Unlock(b("L"), 7))).isEqualTo(new Result.NotHolder(1));
        assertThat(apply(1_100, new Command.Unlock(b("L"), 1))).isEqualTo(new Result.Released(1));
        assertThat(sm.lock(b("L"), 1_100)).isEmpty();
        assertThat(apply(1_100, new Command.Unlock(b("L"), 1))).isEqualTo(new Result.NotHolder(0));
        assertThat(apply(1_100, lock("L", "bob", 500))).isEqualTo(new Result.LockGranted(5, 1_600));
    }

    @Test
    void releasingAnExpiredGrantIsRefused() {
        apply(1_000, lock("L", "alice", 500));

        assertThat(apply(1_500, new Command.Unlock(b("L"), 1))).isEqualTo(new Result.NotHolder(0));
    }

    @Test
    void aFencedWriteAppliesOnlyUnderTheCurrentUnexpiredToken() {
        apply(1_000, lock("L", "alice", 500));
        assertThat(apply(1_100, fenced("L", 1, put("x", "a")))).isEqualTo(new Result.Written(2, 1));

        apply(1_500, lock("L", "bob", 500)); // alice's grant expired; bob holds token 3
        assertThat(apply(1_600, fenced("L", 1, put("x", "stale")))).isEqualTo(new Result.FencedOut(3));
        assertThat(apply(1_600, fenced("L", 1, new Command.Delete(b("x"))))).isEqualTo(new Result.FencedOut(3));
        assertThat(apply(1_600, fenced("L", 1, new Command.CompareAndSet(b("x"), 1, b("stale"), 0))))
                .isEqualTo(new Result.FencedOut(3));
        assertThat(sm.get(b("x"), 1_600).orElseThrow().value()).isEqualTo(b("a"));

        assertThat(apply(1_700, fenced("L", 3, put("x", "b")))).isEqualTo(new Result.Written(7, 2));
        assertThat(apply(2_000, fenced("L", 3, put("x", "late")))).as("bob's grant expired").isEqualTo(new Result.FencedOut(0));
        assertThat(apply(2_000, fenced("never-taken", 1, put("x", "c")))).isEqualTo(new Result.FencedOut(0));
        assertThat(sm.get(b("x"), 2_000).orElseThrow().value()).isEqualTo(b("b"));
    }

    @Test
    void aFencedCompareAndSetStillComparesVersions() {
        apply(1_000, lock("L", "alice", 500));
        apply(1_000, put("x", "a"));

        assertThat(apply(1_100, fenced("L", 1, new Command.CompareAndSet(b("x"), 5, b("b"), 0))))
                .isEqualTo(new Result.CasFailed(1));
    }

    @Test
    void locksAndKeysOfTheSameNameAreIndependent() {
        apply(1_000, put("L", "value"));
        apply(1_000, lock("L", "alice", 500));
        apply(1_100, new Command.Delete(b("L")));

        assertThat(sm.lock(b("L"), 1_100)).isPresent();
        assertThat(sm.get(b("L"), 1_100)).isEmpty();
    }

    @Test
    void expireRemovesExpiredGrantsAndTheLeaderKnowsWhenOneIsDue() {
        apply(1_000, lock("A", "alice", 500));
        apply(1_000, lock("B", "bob", 900));
        assertThat(sm.nextExpiryMillis()).isEqualTo(1_500);

        Result expired = apply(1_500, new Command.Expire(1_500));

        assertThat(expired).isEqualTo(new Result.Expired(1, 0, false));
        assertThat(sm.nextExpiryMillis()).isEqualTo(1_900);
        assertThat(engine.scan(Keyspace.familyStart(Keyspace.LOCK), Keyspace.familyEnd(Keyspace.LOCK), 10)).hasSize(1);
        // Tokens keep growing after the record is gone.
        assertThat(apply(1_600, lock("A", "carol", 500))).isEqualTo(new Result.LockGranted(4, 2_100));
    }

    @Test
    void aRetriedLockWithItsSessionGetsTheSameGrantOnce() {
        Result first = sm.apply(List.of(log.entry(9, 1, 1_000, lock("L", "alice", 500)))).get(0);
        Result retry = sm.apply(List.of(log.entry(9, 1, 1_400, lock("L", "alice", 500)))).get(0);

        assertThat(retry).isEqualTo(first).isEqualTo(new Result.LockGranted(1, 1_500));
        assertThat(sm.lock(b("L"), 1_400).orElseThrow().expiresAtMillis()).as("not extended by the retry").isEqualTo(1_500);
    }

    @Test
    void badLockCommandsAreRefusedByTheLimitsAndChangeNothing() {
        assertThat(apply(1_000, lock("", "alice", 500))).isInstanceOf(Result.Rejected.class);
        assertThat(apply(1_000, new Command.Lock(b("L"), Bytes.wrap(new byte[Limits.OWNER_BYTES_MAX + 1]), 500)))
                .isInstanceOf(Result.Rejected.class);
        assertThat(apply(1_000, new Command.Lock(b("L"), b("alice"), Limits.TTL_MILLIS_MAX + 1)))
                .isInstanceOf(Result.Rejected.class);
        assertThat(sm.lock(b("L"), 1_000)).isEmpty();
        assertThatThrownBy(() -> lock("L", "alice", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Command.Unlock(b("L"), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Command.Fenced(b("L"), 1, lock("M", "a", 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Command.Fenced(b("L"), 1, new Command.Expire(5)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
