package io.cairn.sim.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.Bytes;
import io.cairn.consensus.LogEntry;
import io.cairn.kv.engine.KvEngineException;
import io.cairn.kv.state.CommandEnvelope;
import io.cairn.kv.state.Result;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulator's replica is kv-state's state machine: exactly-once, versions, in-memory snapshots. */
class KvReplicaTest {
    private final KvReplica replica = KvReplica.fromSnapshotData(Bytes.EMPTY);
    private long lastIndex;

    @Test
    void aRetriedWriteTakesEffectOnceAndReturnsTheFirstResult() {
        LogEntry cas = entry(1, 1, KvOp.cas("k", 0, 10));
        assertThat(apply(cas)).isEqualTo(new Result.Written(1, 1));
        apply(entry(2, 1, KvOp.put("k", 20)));

        // Applied again, the CAS would now fail its comparison; the session answers the first result.
        LogEntry retry = LogEntry.normal(++lastIndex, 1, cas.data());
        assertThat(apply(retry)).isEqualTo(new Result.Written(1, 1));
        assertThat(replica.read("k", 0)).isEqualTo(new KvResult.Read(20L, 2));
    }

    @Test
    void aStaleRetryOfAnOlderSequenceChangesNothing() {
        LogEntry first = entry(1, 1, KvOp.put("k", 1));
        apply(first);
        apply(entry(1, 2, KvOp.put("k", 2)));

        assertThat(apply(LogEntry.normal(++lastIndex, 1, first.data()))).isInstanceOf(Result.Stale.class);
        assertThat(replica.read("k", 0)).isEqualTo(new KvResult.Read(2L, 2));
    }

    @Test
    void withoutASessionARetryAppliesAgain() {
        Bytes put = CommandEnvelope.withoutSession(0, KvOp.put("k", 10).toCommand()).encode();
        apply(LogEntry.normal(++lastIndex, 1, put));
        apply(entry(2, 1, KvOp.delete("k")));

        apply(LogEntry.normal(++lastIndex, 1, put));

        assertThat(replica.read("k", 0)).isEqualTo(new KvResult.Read(10L, 1));
    }

    @Test
    void casComparesVersionsAndADeleteStartsThemAgain() {
        assertThat(answer(KvOp.cas("k", 0, 6))).isEqualTo(new KvResult.Written(1));
        assertThat(answer(KvOp.cas("k", 0, 7))).isEqualTo(new KvResult.CasFailed(1));
        assertThat(answer(KvOp.put("k", 8))).isEqualTo(new KvResult.Written(2));
        assertThat(answer(KvOp.delete("k"))).isEqualTo(new KvResult.Deleted(true));
        assertThat(answer(KvOp.delete("k"))).isEqualTo(new KvResult.Deleted(false));
        assertThat(replica.read("k", 0)).isEqualTo(KvResult.Read.ABSENT);

        // Version 1 again, with another value: a CAS expecting v1 cannot tell the two apart.
        assertThat(answer(KvOp.put("k", 9))).isEqualTo(new KvResult.Written(1));
        assertThat(answer(KvOp.cas("k", 1, 10))).isEqualTo(new KvResult.Written(2));
    }

    @Test
    void snapshotDataCarriesTheChainHashAndTheWholeState() {
        apply(entry(1, 7, KvOp.put("a", 1)));
        apply(entry(2, 3, KvOp.put("b", 2)));
        Bytes data = KvReplica.snapshotData(0xABCDL, replica.image());

        KvReplica restored = KvReplica.fromSnapshotData(data);

        assertThat(KvReplica.chainHashOf(data)).isEqualTo(0xABCDL);
        assertThat(restored.appliedIndex()).isEqualTo(2);
        assertThat(restored.appliedTerm()).isEqualTo(1);
        assertThat(restored.image()).isEqualTo(replica.image());
        assertThat(restored.describe(0)).isEqualTo("applied 2 {a=1 v1, b=2 v1}");
        // The session table came along: client 1's sequence 7 is answered, not applied again.
        List<Result> retry = restored.apply(List.of(LogEntry.normal(3, 1,
                new CommandEnvelope(1, 7, 0, KvOp.put("a", 99).toCommand()).encode()))).results();
        assertThat(retry).containsExactly(new Result.Written(1, 1));
        assertThat(restored.read("a", 0)).isEqualTo(new KvResult.Read(1L, 1));
    }

    @Test
    void emptySnapshotDataIsAnEmptyReplicaAndDamagedDataIsRefused() {
        assertThat(KvReplica.chainHashOf(Bytes.EMPTY)).isZero();
        assertThat(replica.appliedIndex()).isZero();
        assertThat(replica.read("k", 0)).isEqualTo(KvResult.Read.ABSENT);

        Bytes data = KvReplica.snapshotData(1, replica.image());
        byte[] damaged = data.toArray();
        damaged[damaged.length - 1] ^= 1;
        assertThatThrownBy(() -> KvReplica.fromSnapshotData(Bytes.wrap(damaged)))
                .isInstanceOf(KvEngineException.class);
        assertThatThrownBy(() -> KvReplica.fromSnapshotData(Bytes.wrap(new byte[8])))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aResultOfTheWrongKindAnswersNoWrite() {
        assertThatThrownBy(() -> KvResult.ofWrite(KvOp.put("k", 1), new Result.Deleted(3, true)))
                .isInstanceOf(IllegalStateException.class);
        assertThat(KvResult.ofWrite(KvOp.delete("k"), new Result.Deleted(3, true)))
                .isEqualTo(new KvResult.Deleted(true));
    }

    @Test
    void valuesAreEightBytesBigEndian() {
        assertThat(KvOp.encodeValue(0x0102030405060708L).toHex()).isEqualTo("0102030405060708");
        assertThat(KvOp.decodeValue(KvOp.encodeValue(-7))).isEqualTo(-7);
        assertThatThrownBy(() -> KvOp.decodeValue(Bytes.utf8("short"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> KvOp.get("k").toCommand()).isInstanceOf(IllegalStateException.class);
    }

    private LogEntry entry(long client, long seq, KvOp op) {
        return LogEntry.normal(++lastIndex, 1, new CommandEnvelope(client, seq, 0, op.toCommand()).encode());
    }

    private Result apply(LogEntry entry) {
        return replica.apply(List.of(entry)).results().get(0);
    }

    private KvResult answer(KvOp op) {
        return KvResult.ofWrite(op, apply(entry(1, lastIndex + 1, op)));
    }
}
