package io.cairn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.Bytes;
import io.cairn.sim.kv.KvCommand;
import io.cairn.sim.kv.KvOp;
import io.cairn.sim.kv.KvResult;
import io.cairn.sim.kv.KvStateMachine;
import org.junit.jupiter.api.Test;

class KvStateMachineTest {
    private final KvStateMachine sm = new KvStateMachine(true);

    @Test
    void aRetriedWriteTakesEffectOnceAndReturnsTheFirstResult() {
        KvCommand cas = new KvCommand(1, 1, KvOp.cas("k", null, 10));
        assertThat(sm.apply(cas)).isEqualTo(KvResult.OK);
        sm.apply(new KvCommand(2, 1, KvOp.put("k", 20)));

        // The retry would now fail its comparison if applied again; dedup returns the first answer.
        assertThat(sm.apply(cas)).isEqualTo(KvResult.OK);
        assertThat(sm.read("k")).isEqualTo(KvResult.read(20L));
    }

    @Test
    void aStaleRetryOfAnOlderSequenceIsIgnored() {
        sm.apply(new KvCommand(1, 1, KvOp.put("k", 1)));
        sm.apply(new KvCommand(1, 2, KvOp.put("k", 2)));

        assertThat(sm.apply(new KvCommand(1, 1, KvOp.put("k", 1)))).isNull();
        assertThat(sm.read("k")).isEqualTo(KvResult.read(2L));
    }

    @Test
    void withoutDedupARetryAppliesAgain() {
        KvStateMachine broken = new KvStateMachine(false);
        KvCommand cas = new KvCommand(1, 1, KvOp.cas("k", null, 10));
        broken.apply(cas);
        broken.apply(new KvCommand(2, 1, KvOp.delete("k")));

        broken.apply(cas);

        assertThat(broken.read("k")).isEqualTo(KvResult.read(10L));
    }

    @Test
    void casComparesAgainstTheCurrentValueOrAbsence() {
        assertThat(sm.apply(new KvCommand(1, 1, KvOp.cas("k", 5L, 6)))).isEqualTo(KvResult.CAS_FAILED);
        assertThat(sm.apply(new KvCommand(1, 2, KvOp.cas("k", null, 6)))).isEqualTo(KvResult.OK);
        assertThat(sm.apply(new KvCommand(1, 3, KvOp.cas("k", 6L, 7)))).isEqualTo(KvResult.OK);
        sm.apply(new KvCommand(1, 4, KvOp.delete("k")));
        assertThat(sm.read("k")).isEqualTo(KvResult.read(null));
    }

    @Test
    void anImageRestoresDataDedupTableAndChainHash() {
        sm.apply(new KvCommand(1, 7, KvOp.put("a", 1)));
        sm.apply(new KvCommand(2, 3, KvOp.put("b", 2)));
        Bytes image = sm.encode(0xABCDL);

        KvStateMachine restored = KvStateMachine.decode(image, 42, true);

        assertThat(KvStateMachine.chainHashOf(image)).isEqualTo(0xABCDL);
        assertThat(restored.appliedIndex()).isEqualTo(42);
        assertThat(restored.digest()).isEqualTo(sm.digest());
        assertThat(restored.apply(new KvCommand(1, 7, KvOp.put("a", 99)))).isEqualTo(KvResult.OK);
        assertThat(restored.read("a")).isEqualTo(KvResult.read(1L));
    }

    @Test
    void commandsSurviveEncoding() {
        KvCommand command = new KvCommand(3, 99, KvOp.cas("key-é", 5L, -7));
        assertThat(KvCommand.decode(command.encode())).isEqualTo(command);
        KvCommand absent = new KvCommand(1, 1, KvOp.cas("k", null, 1));
        assertThat(KvCommand.decode(absent.encode())).isEqualTo(absent);
    }
}
