package io.cairn.sim.kv;

import io.cairn.common.Bytes;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.Compare;
import io.cairn.kv.state.Result;
import io.cairn.kv.state.TxnOp;
import java.util.ArrayList;
import java.util.List;

/**
 * A step of the bank workload, each one {@link Command.Txn} of the accounts' shard (they share a
 * hash tag): READ (gets of some accounts, the first half of a transfer), TRANSFER (the new
 * balances, only if every account read still has the version read: an optimistic commit) and
 * AUDIT (gets of every account in one entry). An absent account holds {@link #OPENING}.
 *
 * @param versions the versions READ saw, compared by TRANSFER (0: absent)
 * @param balances the balances TRANSFER writes
 */
public record BankOp(Kind kind, List<String> accounts, List<Long> versions, List<Long> balances) implements ClientOp {
    public enum Kind { READ, TRANSFER, AUDIT }

    /** What every account holds before its first transfer. */
    public static final long OPENING = 100;

    public BankOp {
        if (kind == null || accounts == null || accounts.isEmpty()) {
            throw new IllegalArgumentException("kind and accounts are required");
        }
        accounts = List.copyOf(accounts);
        versions = List.copyOf(versions);
        balances = List.copyOf(balances);
        if (kind == Kind.TRANSFER && (versions.size() != accounts.size() || balances.size() != accounts.size())) {
            throw new IllegalArgumentException("a transfer names a version and a balance per account");
        }
    }

    public static BankOp read(List<String> accounts) {
        return new BankOp(Kind.READ, accounts, List.of(), List.of());
    }

    public static BankOp audit(List<String> accounts) {
        return new BankOp(Kind.AUDIT, accounts, List.of(), List.of());
    }

    public static BankOp transfer(List<String> accounts, List<Long> versions, List<Long> balances) {
        return new BankOp(Kind.TRANSFER, accounts, versions, balances);
    }

    @Override
    public String key() {
        return accounts.get(0);
    }

    @Override
    public boolean isRead() {
        return false;
    }

    @Override
    public Command toCommand() {
        List<Compare> compares = new ArrayList<>();
        List<TxnOp> ops = new ArrayList<>();
        for (int i = 0; i < accounts.size(); i++) {
            Bytes key = Bytes.utf8(accounts.get(i));
            if (kind == Kind.TRANSFER) {
                compares.add(Compare.of(key, Compare.Target.VERSION, Compare.Relation.EQUAL, versions.get(i)));
                ops.add(new Command.Put(key, KvOp.encodeValue(balances.get(i)), 0));
            } else {
                ops.add(new TxnOp.Get(key));
            }
        }
        return new Command.Txn(compares, ops, List.of());
    }

    @Override
    public OpResult answer(Result result) {
        if (!(result instanceof Result.TxnDone done)) {
            throw new IllegalStateException(this + " cannot be answered with " + result);
        }
        return new BankResult(done);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case READ -> "bank-read" + accounts;
            case AUDIT -> "bank-audit";
            case TRANSFER -> "bank-transfer" + accounts + " v" + versions + " -> " + balances;
        };
    }
}
