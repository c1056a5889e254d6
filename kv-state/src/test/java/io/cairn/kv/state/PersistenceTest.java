package io.cairn.kv.state;

import static io.cairn.kv.state.TestLog.b;
import static io.cairn.kv.state.TestLog.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.kv.engine.MemoryKvEngine;
import io.cairn.kv.engine.WriteBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistenceTest {
    private final TestLog log = new TestLog();

    @Test
    void aBatchOfEntriesIsOneEngineWriteThatCarriesTheAppliedPosition() {
        CountingEngine engine = new CountingEngine();
        KvStateMachine sm = new KvStateMachine(engine);

        sm.apply(List.of(log.entry(100, put("a", "1")), log.noop(), log.entry(100, put("b", "2", 50))));

        assertThat(engine.batches).hasSize(1);
        WriteBatch batch = engine.batches.get(0);
        assertThat(batch.ops()).anySatisfy(op -> assertThat(Arrays.equals(op.key(), Keyspace.APPLIED_KEY)).isTrue());
        assertThat(sm.appliedIndex()).isEqualTo(3);
    }

    @Test
    void aBatchOfOnlyNoopsStillRecordsTheAppliedIndex() {
        CountingEngine engine = new CountingEngine();
        KvStateMachine sm = new KvStateMachine(engine);

        sm.apply(List.of(log.noop(), log.config()));

        assertThat(engine.batches).hasSize(1);
        assertThat(new KvStateMachine(engine).appliedIndex()).isEqualTo(2);
    }

    @Test
    void aNewStateMachineOverTheSameEngineReadsBackTheAppliedPosition() {
        MemoryKvEngine engine = new MemoryKvEngine();
        KvStateMachine sm = new KvStateMachine(engine);
        sm.apply(List.of(log.entry(100, put("a", "1")), log.entry(100, put("b", "1"))));
        sm.apply(List.of(log.term(3).noop()));

        KvStateMachine restarted = new KvStateMachine(engine);

        assertThat(restarted.appliedIndex()).isEqualTo(3);
        assertThat(restarted.appliedTerm()).isEqualTo(3);
        assertThat(restarted.get(b("b"), 100)).isPresent();
        assertThat(restarted.apply(List.of(log.entry(100, put("a", "2"))))).containsExactly(new Result.Written(4, 2));
    }

    @Test
    void anEmptyEngineStartsAtIndexZero() {
        KvStateMachine sm = new KvStateMachine(new MemoryKvEngine());

        assertThat(sm.appliedIndex()).isZero();
        assertThat(sm.appliedTerm()).isZero();
    }

    @Test
    void afterACrashTheEngineIsExactlyAtTheLastDurableAppliedIndex() {
        MemoryKvEngine engine = new MemoryKvEngine();
        KvStateMachine sm = new KvStateMachine(engine);
        sm.apply(List.of(log.entry(100, put("a", "1")), log.entry(100, put("b", "1"))));
        engine.flush();
        sm.apply(List.of(log.entry(100, put("a", "2")), log.entry(100, put("c", "1"))));

        engine.loseUnflushedWrites();
        KvStateMachine restarted = new KvStateMachine(engine);

        assertThat(restarted.appliedIndex()).isEqualTo(2);
        assertThat(restarted.get(b("a"), 100).orElseThrow().version()).isEqualTo(1);
        assertThat(restarted.get(b("c"), 100)).isEmpty();
    }

    @Test
    void aFailedEngineWriteLeavesTheStateMachineAtItsPreviousPosition() {
        CountingEngine engine = new CountingEngine();
        KvStateMachine sm = new KvStateMachine(engine);
        sm.apply(List.of(log.entry(100, put("a", "1"))));
        engine.failNextWrite = true;

        assertThatThrownBy(() -> sm.apply(List.of(log.entry(200, put("a", "2")))))
                .isInstanceOf(IllegalStateException.class);

        assertThat(sm.appliedIndex()).isEqualTo(1);
        assertThat(sm.clockMillis()).isEqualTo(100);
        assertThat(sm.get(b("a"), 100).orElseThrow().version()).isEqualTo(1);
    }

    @Test
    void aSnapshotRestoresStateAndAppliedPositionIntoAnotherEngine(@TempDir Path tmp) throws IOException {
        KvStateMachine source = new KvStateMachine(new MemoryKvEngine());
        source.apply(List.of(log.entry(7, 1, 100, put("a", "1", 1_000)), log.term(2).entry(100, put("b", "2"))));

        KvStateMachine.SnapshotFiles snapshot = source.snapshot(tmp.resolve("snap"));
        KvStateMachine target = new KvStateMachine(new MemoryKvEngine());
        target.apply(List.of(new TestLog().entry(100, put("old", "x"))));
        target.restore(snapshot.dir());

        assertThat(snapshot.appliedIndex()).isEqualTo(2);
        assertThat(snapshot.appliedTerm()).isEqualTo(2);
        assertThat(snapshot.files()).isNotEmpty();
        assertThat(target.appliedIndex()).isEqualTo(2);
        assertThat(target.appliedTerm()).isEqualTo(2);
        assertThat(target.clockMillis()).isEqualTo(100);
        assertThat(target.get(b("old"), 100)).isEmpty();
        assertThat(target.get(b("a"), 100)).isEqualTo(source.get(b("a"), 100));
        // The session came along: a retry is deduplicated on the restored replica.
        assertThat(target.apply(List.of(log.entry(7, 1, 100, put("a", "1", 1_000)))))
                .containsExactly(new Result.Written(1, 1));
        target.checkConsistency();
    }
}
