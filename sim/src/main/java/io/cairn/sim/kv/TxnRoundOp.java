package io.cairn.sim.kv;

import io.cairn.kv.state.Command;
import io.cairn.kv.state.Result;

/**
 * One round of a cross-shard commit in one shard (a prepare, decide, resolve or forget), as the
 * Java client's coordinator sends it, or a push's step as a node sends it for a stale intent it
 * met ({@code sessionless}: the node's own command, proposed without a client session, as the
 * server proposes it). Routed to {@code group} if set, else to the shard of {@code key}.
 */
public record TxnRoundOp(String key, Command command, boolean sessionless, io.cairn.common.GroupId group)
        implements ClientOp {
    public TxnRoundOp(String key, Command command, boolean sessionless) {
        this(key, command, sessionless, null);
    }

    /** A node's own command for one of its groups, which no key names (a record's removal). */
    public static TxnRoundOp inGroup(io.cairn.common.GroupId group, Command command) {
        return new TxnRoundOp("", command, true, group);
    }

    public TxnRoundOp {
        if (key == null || command == null) {
            throw new IllegalArgumentException("key and command are required");
        }
        if (!(command instanceof Command.Prepare || command instanceof Command.Decide
                || command instanceof Command.Resolve || command instanceof Command.Forget)) {
            throw new IllegalArgumentException("a transaction round is a prepare, decide, resolve or forget: " + command);
        }
    }

    @Override
    public boolean isRead() {
        return false;
    }

    @Override
    public Command toCommand() {
        return command;
    }

    @Override
    public OpResult answer(Result result) {
        return new TxnRoundResult(result);
    }

    @Override
    public String toString() {
        String name = command.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
        return (sessionless ? "push-" : "txn-") + name + "(" + key + ")";
    }
}
