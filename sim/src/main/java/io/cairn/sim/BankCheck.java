package io.cairn.sim;

import io.cairn.sim.kv.BankOp;
import io.cairn.sim.kv.BankResult;
import java.util.List;

/**
 * The bank workload's rule ({@link BankClient}): transfers move money between accounts and
 * never below zero, so every audit (all accounts read in one transaction, the final one
 * included) sees the opening total and no negative balance, whatever transfers committed, failed
 * or were abandoned with an unknown outcome: a transaction applies whole or not at all.
 */
final class BankCheck {
    private BankCheck() {}

    static void check(List<HistoryOp> history, long nowMicros) {
        long expected = BankOp.OPENING * BankClient.ACCOUNTS;
        for (HistoryOp h : history) {
            if (h.op() instanceof BankOp op && op.kind() == BankOp.Kind.AUDIT && h.result() instanceof BankResult r) {
                List<Long> balances = r.balances();
                long total = balances.stream().mapToLong(Long::longValue).sum();
                if (total != expected || balances.stream().anyMatch(b -> b < 0)) {
                    throw new InvariantFailure("Bank", nowMicros, h + ": balances " + balances + " total " + total
                            + ", expected " + expected + " and none negative");
                }
            }
        }
    }
}
