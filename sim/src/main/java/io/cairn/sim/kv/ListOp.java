package io.cairn.sim.kv;

import io.cairn.common.Bytes;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.Compare;
import io.cairn.kv.state.Result;
import io.cairn.kv.state.TxnOp;
import io.cairn.sim.elle.ListTxn;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A step of the list-append workload (Elle's), each one {@link Command.Txn} of the lists' shard
 * (they share a hash tag): READ gets the lists a transaction touches; COMMIT writes each appended
 * list only if every list read still has the version read, and carries the transaction's
 * micro-operations as the client saw them, for {@code ListAppendCheck}. A list is stored as its
 * elements in decimal, comma-separated.
 *
 * @param keys     the lists read (READ) or compared (COMMIT), in order
 * @param versions COMMIT: the version each was read at (0: absent)
 * @param mops     COMMIT: the transaction's reads (with the lists seen) and appends, in order
 */
public record ListOp(boolean commit, List<String> keys, List<Long> versions, List<ListTxn.Mop> mops) implements ClientOp {
    public ListOp {
        keys = List.copyOf(keys);
        versions = List.copyOf(versions);
        mops = List.copyOf(mops);
        if (keys.isEmpty() || commit && versions.size() != keys.size()) {
            throw new IllegalArgumentException("a list step names its keys, and a commit their versions");
        }
    }

    public static ListOp read(List<String> keys) {
        return new ListOp(false, keys, List.of(), List.of());
    }

    public static ListOp commit(List<String> keys, List<Long> versions, List<ListTxn.Mop> mops) {
        return new ListOp(true, keys, versions, mops);
    }

    @Override
    public String key() {
        return keys.get(0);
    }

    @Override
    public boolean isRead() {
        return false;
    }

    @Override
    public Command toCommand() {
        List<Compare> compares = new ArrayList<>();
        List<TxnOp> ops = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            Bytes key = Bytes.utf8(keys.get(i));
            if (commit) {
                compares.add(Compare.of(key, Compare.Target.VERSION, Compare.Relation.EQUAL, versions.get(i)));
            } else {
                ops.add(new TxnOp.Get(key));
            }
        }
        if (commit) {
            for (ListTxn.Mop m : mops) {
                if (m.append()) {
                    ops.add(new Command.Put(Bytes.utf8(m.key()), encode(listAfter(m)), 0));
                }
            }
        }
        return new Command.Txn(compares, ops, List.of());
    }

    /** The list an append writes: the list read for its key, then its value. */
    private List<Long> listAfter(ListTxn.Mop append) {
        List<Long> base = List.of();
        for (ListTxn.Mop m : mops) {
            if (!m.append() && m.key().equals(append.key())) {
                base = m.read();
            }
        }
        List<Long> out = new ArrayList<>(base);
        out.add(append.value());
        return out;
    }

    public static Bytes encode(List<Long> list) {
        StringBuilder sb = new StringBuilder();
        list.forEach(v -> sb.append(sb.length() == 0 ? "" : ",").append(v));
        return Bytes.utf8(sb.toString());
    }

    public static List<Long> decode(Bytes value) {
        String text = new String(value.toArray(), StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : Arrays.stream(text.split(",")).map(Long::parseLong).toList();
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
        return commit ? "list-commit" + mops + " v" + versions : "list-read" + keys;
    }
}
