package io.cairn.kv.state;

import static io.cairn.kv.state.TestLog.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.kv.engine.MemoryKvEngine;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What watchers are told: one event per change of a user key, at the revision that made it. */
class WatchEventsTest {
    private final MemoryKvEngine engine = new MemoryKvEngine();
    private final KvStateMachine sm = new KvStateMachine(engine);
    private final TestLog log = new TestLog();

    private List<WatchEvent> apply(io.cairn.consensus.LogEntry... entries) {
        KvStateMachine.Staged staged = sm.stage(List.of(entries));
        engine.write(staged.writes());
        staged.commit();
        return staged.events();
    }

    @Test
    void writesDeletesAndExpiriesEachTellTheirRevision() {
        List<WatchEvent> first = apply(log.entry(1_000, new Command.Put(b("a"), b("1"), 0)),
                log.entry(1_000, new Command.Put(b("a"), b("2"), 500)),
                log.entry(1_000, new Command.CompareAndSet(b("b"), 0, b("x"), 0)),
                log.entry(1_000, new Command.CompareAndSet(b("b"), 7, b("y"), 0)),
                log.entry(1_000, new Command.Delete(b("b"))),
                log.entry(1_000, new Command.Delete(b("never"))));

        assertThat(first).extracting(WatchEvent::type, WatchEvent::revision, e -> e.key().toUtf8())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(WatchEvent.Type.PUT, 1L, "a"),
                        org.assertj.core.groups.Tuple.tuple(WatchEvent.Type.PUT, 2L, "a"),
                        org.assertj.core.groups.Tuple.tuple(WatchEvent.Type.PUT, 3L, "b"),
                        org.assertj.core.groups.Tuple.tuple(WatchEvent.Type.DELETE, 5L, "b"));
        assertThat(first.get(1).kv().version()).isEqualTo(2);
        assertThat(first.get(1).kv().value().toUtf8()).isEqualTo("2");
        assertThat(first.get(1).kv().expiresAtMillis()).isEqualTo(1_500);

        List<WatchEvent> expired = apply(log.entry(2_000, new Command.Expire(2_000)));
        assertThat(expired).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(WatchEvent.Type.EXPIRE);
            assertThat(e.revision()).isEqualTo(7);
            assertThat(e.key().toUtf8()).isEqualTo("a");
        });
    }

    @Test
    void aDeleteOfAKeyPastItsDeadlineIsAnExpiry() {
        apply(log.entry(1_000, new Command.Put(b("t"), b("v"), 100)));
        List<WatchEvent> events = apply(log.entry(5_000, new Command.Delete(b("t"))));
        assertThat(events).extracting(WatchEvent::type).containsExactly(WatchEvent.Type.EXPIRE);
    }

    @Test
    void aRetriedWriteAndLocksTellNothing() {
        apply(log.entry(9, 1, 1_000, new Command.Put(b("k"), b("v"), 0)));
        assertThat(apply(log.entry(9, 1, 1_100, new Command.Put(b("k"), b("v"), 0)))).as("the same sequence again").isEmpty();
        assertThat(apply(log.entry(1_200, new Command.Lock(b("L"), b("me"), 1_000)))).isEmpty();
    }

    @Test
    void aFencedWriteTellsItsWriteOnlyWhenTheFenceHolds() {
        apply(log.entry(1_000, new Command.Lock(b("L"), b("me"), 1_000)));
        assertThat(apply(log.entry(1_100, new Command.Fenced(b("L"), 99, new Command.Put(b("k"), b("v"), 0))))).isEmpty();
        assertThat(apply(log.entry(1_100, new Command.Fenced(b("L"), 1, new Command.Put(b("k"), b("v"), 0)))))
                .extracting(WatchEvent::type).containsExactly(WatchEvent.Type.PUT);
    }
}
