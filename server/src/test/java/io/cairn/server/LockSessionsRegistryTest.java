package io.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The waiters of a lock come and go on many threads: one registering while another removes the
 * last waiter of the same lock must still be found afterwards. With {@code computeIfAbsent(...)
 * .add(...)} the registering one could land in a set the removal had just dropped from the map,
 * and its grant was never pushed (found by {@code cairn bench lock}: 32 clients on 32 locks all
 * stalled behind the one waiter nobody told). Each round races one removal of a key's only
 * value against one registration on the same key, released together by a barrier.
 */
class LockSessionsRegistryTest {
    @Test
    void aValueRegisteredWhileTheLastOneLeavesIsStillThere() throws Exception {
        ConcurrentHashMap<Integer, Set<Integer>> map = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20_000; round++) {
                int key = round % 4;
                int leaving = 2 * round;
                int coming = 2 * round + 1;
                LockSessions.register(map, key, leaving);
                CyclicBarrier start = new CyclicBarrier(2);
                Future<?> remove = pool.submit(() -> {
                    start.await();
                    return LockSessions.unregister(map, key, leaving);
                });
                Future<?> add = pool.submit(() -> {
                    start.await();
                    LockSessions.register(map, key, coming);
                    return null;
                });
                assertThat(remove.get()).isEqualTo(true);
                add.get();
                assertThat(map.get(key)).as("round %s", round).containsExactly(coming);
                assertThat(LockSessions.unregister(map, key, coming)).isTrue();
                assertThat(map).doesNotContainKey(key);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
