package io.cairn.sim;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.kv.state.IntentMeeting;
import io.cairn.kv.state.Result;
import io.cairn.sim.kv.TxnRoundOp;
import io.cairn.sim.kv.TxnRoundResult;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * A host's pushes of stale intents, as the server's transaction recovery makes them
 * ({@link IntentMeeting}): the record's shard is asked to abort the transaction unless decided,
 * over the network to whichever node leads it (this one if its replica does, else the leader
 * the driver last reported, following NOT_LEADER hints), then the intent is resolved in its own
 * shard as the record answered. Each step is a request of the node's own, without a client
 * session. A push that gets no answer gives up, as a forwarded call past its deadline does; the
 * client's retry meets the intent again. One push per transaction at a time; a crash ends them.
 */
final class SimPusher {
    /** How long a push's request waits for an answer before trying the next node. */
    private static final long ATTEMPT_MICROS = 60_000;
    /** Requests per step before the push gives up. */
    private static final int ATTEMPTS_MAX = 6;

    private final SimHost host;
    private final ShardedSimulation sim;
    private final int incarnation;
    private final TreeMap<Long, Step> waiting = new TreeMap<>();
    private final TreeSet<String> pushing = new TreeSet<>();
    private long seq;

    /** One request of a push, waiting for its answer. */
    private final class Step {
        final TxnRoundOp op;
        final Consumer<Result> answered;
        final Runnable gaveUp;
        int attempt;

        Step(TxnRoundOp op, Consumer<Result> answered, Runnable gaveUp) {
            this.op = op;
            this.answered = answered;
            this.gaveUp = gaveUp;
        }
    }

    SimPusher(SimHost host, ShardedSimulation sim) {
        this.host = host;
        this.sim = sim;
        this.incarnation = host.incarnation();
    }

    /** Ends {@code locked}'s transaction in its record and resolves the intent; then runs {@code done}. */
    void push(GroupId group, Result.Locked locked, Runnable done) {
        String txn = locked.txnId().toString();
        if (!pushing.add(txn)) {
            done.run();
            return;
        }
        sim.coverage().add(Coverage.Item.INTENTS_PUSHED);
        Runnable end = () -> {
            pushing.remove(txn);
            done.run();
        };
        if (sim.options().sabotage() == SimOptions.Sabotage.PUSH_WITHOUT_RECORD) {
            send(new TxnRoundOp(locked.key().toUtf8(), IntentMeeting.pushResolve(locked, true), true),
                    resolved -> end.run(), end);
            return;
        }
        TxnRoundOp decide = new TxnRoundOp(locked.primaryKey().toUtf8(), IntentMeeting.pushDecision(locked), true);
        send(decide, decided -> {
            if (!(decided instanceof Result.Decided d)) {
                throw new InvariantFailure("Pushes are answered by the record", sim.nowMicros(), host.id()
                        + " pushed " + locked + " and the record's shard answered " + decided);
            }
            TxnRoundOp resolve = new TxnRoundOp(locked.key().toUtf8(), IntentMeeting.pushResolve(locked, d.committed()),
                    true);
            send(resolve, resolved -> end.run(), end);
        }, end);
    }

    /**
     * Finishes a record nobody came back for: a committed one's intents resolved in every shard
     * it names, then the record removed in its own shard ({@code group}, which this host leads);
     * an aborted one removed at once. A step that gets no answer leaves the record for a later pass.
     */
    void finish(GroupId group, io.cairn.kv.state.KvStateMachine.TxnRecordView record) {
        String txn = record.txnId().toString();
        if (!pushing.add(txn)) {
            return;
        }
        Runnable end = () -> pushing.remove(txn);
        Runnable forget = () -> send(TxnRoundOp.inGroup(group, new io.cairn.kv.state.Command.Forget(record.txnId())),
                forgotten -> {
                    sim.coverage().add(Coverage.Item.RECORDS_CLEANED);
                    sim.note(host.id() + " finished transaction " + record.txnId().toHex() + " left by its coordinator ("
                            + (record.committed() ? "committed" : "aborted") + ")");
                    end.run();
                }, end);
        java.util.Map<GroupId, java.util.List<io.cairn.common.Bytes>> byShard =
                io.cairn.kv.state.TxnCleanup.committedIntentsByShard(record, key -> sim.groupOfKey(key.toUtf8()));
        if (byShard.isEmpty()) {
            forget.run();
            return;
        }
        int[] left = {byShard.size()};
        boolean[] failed = {false};
        byShard.forEach((shard, keys) -> send(new TxnRoundOp(keys.get(0).toUtf8(),
                new io.cairn.kv.state.Command.Resolve(record.txnId(), true, keys), true), resolved -> {
            if (--left[0] == 0 && !failed[0]) {
                forget.run();
            }
        }, () -> {
            if (!failed[0]) {
                failed[0] = true;
                end.run();
            }
        }));
    }

    private void send(TxnRoundOp op, Consumer<Result> answered, Runnable gaveUp) {
        long id = ++seq;
        Step step = new Step(op, answered, gaveUp);
        waiting.put(id, step);
        attempt(id, step, firstTarget(op));
    }

    /** This host if its replica of the op's shard leads, else the leader the driver last reported, else any node. */
    private int firstTarget(TxnRoundOp op) {
        GroupId group = op.group() != null ? op.group() : sim.groupOfKey(op.key());
        NodeId leader = host.leaderOf(group);
        return leader != null ? (int) leader.value() : 1 + sim.random().nextInt(sim.maxNodeId());
    }

    private void attempt(long id, Step step, int target) {
        step.attempt++;
        // The incarnation names the request's sender: a late answer to the previous process's
        // request of the same number must not be taken for this one's.
        ClientRequest request = new ClientRequest(incarnation, id, step.attempt, step.op);
        sim.sendControl(host.address(), target, request);
        int attemptNow = step.attempt;
        sim.scheduler().after(ATTEMPT_MICROS, EventKind.CUSTOM, host.address(), target, request, () -> {
            if (current() && waiting.get(id) == step && step.attempt == attemptNow) {
                retry(id, step, 1 + sim.random().nextInt(sim.maxNodeId()));
            }
        });
    }

    private void retry(long id, Step step, int target) {
        if (step.attempt >= ATTEMPTS_MAX) {
            waiting.remove(id);
            step.gaveUp.run();
            return;
        }
        attempt(id, step, target);
    }

    /** An answer to one of this host's push requests. */
    void onReply(ClientReply reply) {
        Step step = waiting.get(reply.seq());
        if (step == null || !current() || reply.client() != incarnation) {
            return;
        }
        if (reply.outcome() == ClientReply.Outcome.OK) {
            waiting.remove(reply.seq());
            step.answered.accept(((TxnRoundResult) reply.result()).result());
            return;
        }
        if (reply.attempt() != step.attempt) {
            return;
        }
        int next = reply.outcome() == ClientReply.Outcome.NOT_LEADER && reply.leaderHint() != null
                ? (int) reply.leaderHint().value() : 1 + sim.random().nextInt(sim.maxNodeId());
        retry(reply.seq(), step, next);
    }

    /** Whether this pusher's process still runs (a crash ends its pushes; a restart has a new pusher). */
    private boolean current() {
        return host.isUp() && host.incarnation() == incarnation;
    }
}
