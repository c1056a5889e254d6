package io.cairn.sim.kv;

import io.cairn.kv.state.KeyValue;
import io.cairn.kv.state.Result;
import java.util.ArrayList;
import java.util.List;

/** kv-state's answer to a bank step: which branch ran, and the accounts a READ or AUDIT saw. */
public record BankResult(Result.TxnDone done) implements OpResult {
    public BankResult {
        if (done == null) {
            throw new IllegalArgumentException("done is required");
        }
    }

    /** The balances read, in account order; an absent account holds {@link BankOp#OPENING}. */
    public List<Long> balances() {
        List<Long> out = new ArrayList<>();
        for (Result r : done.results()) {
            if (r instanceof Result.Read read) {
                out.add(read.found().map(kv -> KvOp.decodeValue(kv.value())).orElse(BankOp.OPENING));
            }
        }
        return out;
    }

    /** The versions read, in account order (0: absent). */
    public List<Long> versions() {
        List<Long> out = new ArrayList<>();
        for (Result r : done.results()) {
            if (r instanceof Result.Read read) {
                out.add(read.found().map(KeyValue::version).orElse(0L));
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return done.succeeded() ? (balances().isEmpty() ? "committed r" + done.revision() : "read " + balances())
                : "conflict on compare " + done.failedCompare();
    }
}
