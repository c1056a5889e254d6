package io.cairn.sim;

import io.cairn.sim.kv.KvOp;
import io.cairn.sim.kv.KvResult;
import io.cairn.sim.lin.CheckResult;
import io.cairn.sim.lin.KvValue;
import io.cairn.sim.lin.LinearizabilityChecker;
import io.cairn.sim.lin.Operation;
import io.cairn.sim.lin.VersionedKvInput;
import io.cairn.sim.lin.VersionedKvModel;
import io.cairn.sim.lin.VersionedKvOutput;
import io.cairn.sim.lin.VersionedValue;
import java.util.ArrayList;
import java.util.List;

/**
 * Hands a run's client history to the linearizability checker with {@link VersionedKvModel},
 * kv-state's semantics: CAS compares versions, and every answer's version is checked. The budget
 * is the checker's deterministic step budget, so the verdict is part of the seed's replay.
 */
final class LinearizabilityCheck {
    private LinearizabilityCheck() {}

    /** Returns null when the key-value operations of the history are linearizable, else why not. */
    static String violation(List<HistoryOp> history) {
        List<Operation<VersionedKvInput, VersionedKvOutput>> ops = new ArrayList<>(history.size());
        for (HistoryOp op : history) {
            if (op.op() instanceof KvOp kv && !KvOp.isTtlKey(kv.key())) {
                ops.add(toOperation(op));
            }
        }
        CheckResult<VersionedKvInput, VersionedKvOutput> result =
                LinearizabilityChecker.check(new VersionedKvModel(), ops);
        if (result instanceof CheckResult.Illegal<VersionedKvInput, VersionedKvOutput> illegal) {
            return "history of " + ops.size() + " operations is not linearizable: " + illegal.explanation();
        }
        if (result instanceof CheckResult.Unknown<VersionedKvInput, VersionedKvOutput> unknown) {
            return "checker gave up on partition " + unknown.partition() + ": " + unknown.reason();
        }
        return null;
    }

    /**
     * A BOUNDED read may show any state from its bound before it was invoked until it returned:
     * to the checker it was invoked that much earlier. The bound was measured on the serving
     * node's clock, which may run slow by up to {@link SimParams#CLOCK_DRIFT_PPM_BOUND}: in true
     * time it may be that much longer.
     */
    static Operation<VersionedKvInput, VersionedKvOutput> toOperation(HistoryOp op) {
        KvOp kvOp = (KvOp) op.op();
        VersionedKvInput input = toInput(kvOp);
        long invoke = op.invokeMicros();
        if (kvOp.bounded()) {
            invoke -= kvOp.staleMicrosMax() * 1_000_000 / (1_000_000 - SimParams.CLOCK_DRIFT_PPM_BOUND) + 1;
        }
        if (op.isPending()) {
            return Operation.pending(op.client(), input, invoke);
        }
        return Operation.completed(op.client(), input, toOutput((KvResult) op.result()), invoke, op.returnMicros());
    }

    private static VersionedKvInput toInput(KvOp op) {
        return switch (op.kind()) {
            case PUT -> new VersionedKvInput.Put(op.key(), op.value());
            case GET -> new VersionedKvInput.Get(op.key());
            case CAS -> new VersionedKvInput.Cas(op.key(), op.expectedVersion(), op.value());
            case DELETE -> new VersionedKvInput.Delete(op.key());
        };
    }

    private static VersionedKvOutput toOutput(KvResult result) {
        if (result instanceof KvResult.Written written) {
            return new VersionedKvOutput.Written(written.version());
        }
        if (result instanceof KvResult.CasFailed failed) {
            return new VersionedKvOutput.CasFailed(failed.actualVersion());
        }
        if (result instanceof KvResult.Deleted deleted) {
            return new VersionedKvOutput.Deleted(deleted.existed());
        }
        KvResult.Read read = (KvResult.Read) result;
        return new VersionedKvOutput.Read(read.value() == null ? VersionedValue.ABSENT
                : new VersionedValue(KvValue.of(read.value()), read.version()));
    }
}
