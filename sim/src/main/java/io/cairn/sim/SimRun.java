package io.cairn.sim;

import io.cairn.common.RandomSource;
import io.cairn.sim.kv.ClientOp;
import io.cairn.sim.kv.KvOp;
import io.cairn.sim.kv.LockOp;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** What the single-group and the sharded simulations share: the event loop and the history's end. */
final class SimRun {
    private SimRun() {}

    /** Runs events in order until {@code done}, folding each into the digest (and the trace). */
    static void loop(Scheduler scheduler, TraceDigest digest, PrintStream trace, long maxEvents, BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            Scheduler.Event event = scheduler.next();
            if (event == null) {
                throw new InvariantFailure("Simulation progress", scheduler.nowMicros(), "no event left to run");
            }
            digest.fold(event);
            if (trace != null) {
                trace.println(event);
            }
            if (digest.events() > maxEvents) {
                throw new InvariantFailure("Event budget", scheduler.nowMicros(), "more than " + maxEvents + " events");
            }
            event.action().run();
        }
    }

    /**
     * Adds every client's operation still in flight as pending, then checks the whole history:
     * the key-value operations for linearizability, and the lock workload's steps (if it ran),
     * with the lock's state at the end ({@code lockEnd}, null if the run did not get there).
     * Comparisons of client times with leader timestamps allow for the clocks' {@code skew}.
     */
    static void checkHistory(List<SimClient> clients, List<HistoryOp> history, long nowMicros, SimOptions options,
                             int shards, ClockSkew skew, LockCheck.End lockEnd, Coverage coverage) {
        for (SimClient client : clients) {
            HistoryOp inFlight = client.inFlightAsPending();
            if (inFlight != null) {
                history.add(inFlight);
            }
        }
        String violation = LinearizabilityCheck.violation(history);
        if (violation != null) {
            throw new InvariantFailure("Linearizability", nowMicros, violation);
        }
        long largestSkew = skew.largestMicros(nowMicros);
        if (options.workload().locks()) {
            LockCheck.check(history, nowMicros, largestSkew, lockEnd, coverage);
        }
        if (options.workload() == SimOptions.Workload.BANK) {
            BankCheck.check(history, nowMicros);
        }
        if (options.workload() == SimOptions.Workload.LIST_APPEND) {
            checkListAppend(history, nowMicros);
        }
        if (options.workload() == SimOptions.Workload.CROSS_BANK) {
            List<CrossBankClient> banks = new ArrayList<>();
            clients.forEach(c -> {
                if (c.driver() instanceof CrossBankClient bank) {
                    banks.add(bank);
                }
            });
            CrossBankClient.check(banks, finalBalances(history), nowMicros);
        }
        if (options.workload() == SimOptions.Workload.CROSS_LIST_APPEND) {
            List<io.cairn.sim.elle.ListTxn> txns = new ArrayList<>();
            for (SimClient c : clients) {
                if (c.driver() instanceof CrossListAppendClient lists) {
                    lists.txns().forEach(t -> txns.add(new io.cairn.sim.elle.ListTxn(txns.size() + 1, t.outcome(), t.mops())));
                }
            }
            checkListTxns(txns, nowMicros);
        }
        if (options.workload() == SimOptions.Workload.AGGREGATE) {
            AggregateWorkload.check(history, shards, options.sabotage() == SimOptions.Sabotage.UNCUT_AGGREGATES, nowMicros);
        }
        TtlCheck.check(history, nowMicros, 2 * largestSkew);
    }

    /**
     * The cross-shard bank's accounts as the final reads saw them (one read each, in account
     * order), or null if one is missing (the run ended before the final reads did).
     */
    private static List<Long> finalBalances(List<HistoryOp> history) {
        java.util.Map<String, Long> seen = new java.util.TreeMap<>();
        for (HistoryOp h : history) {
            if (h.op() instanceof io.cairn.sim.kv.BankOp op && op.kind() == io.cairn.sim.kv.BankOp.Kind.AUDIT
                    && h.result() instanceof io.cairn.sim.kv.BankResult r) {
                seen.put(op.accounts().get(0), r.balances().get(0));
            }
        }
        List<Long> balances = new ArrayList<>();
        for (String account : CrossBankClient.NAMES) {
            if (!seen.containsKey(account)) {
                return null;
            }
            balances.add(seen.get(account));
        }
        return balances;
    }

    /** The list-append workload's commits as Elle's transactions, checked for Adya's anomalies. */
    private static void checkListAppend(List<HistoryOp> history, long nowMicros) {
        List<io.cairn.sim.elle.ListTxn> txns = new ArrayList<>();
        for (HistoryOp h : history) {
            if (h.op() instanceof io.cairn.sim.kv.ListOp op && op.commit()) {
                io.cairn.sim.elle.ListTxn.Outcome outcome = h.isPending() ? io.cairn.sim.elle.ListTxn.Outcome.INFO
                        : ((io.cairn.sim.kv.BankResult) h.result()).done().succeeded()
                        ? io.cairn.sim.elle.ListTxn.Outcome.OK : io.cairn.sim.elle.ListTxn.Outcome.FAILED;
                List<io.cairn.sim.elle.ListTxn.Mop> mops = outcome == io.cairn.sim.elle.ListTxn.Outcome.OK ? op.mops()
                        : op.mops().stream().filter(io.cairn.sim.elle.ListTxn.Mop::append).toList();
                txns.add(new io.cairn.sim.elle.ListTxn(txns.size() + 1, outcome, mops));
            }
        }
        checkListTxns(txns, nowMicros);
    }

    private static void checkListTxns(List<io.cairn.sim.elle.ListTxn> txns, long nowMicros) {
        List<io.cairn.sim.elle.ListAppendCheck.Anomaly> anomalies = io.cairn.sim.elle.ListAppendCheck.check(txns);
        if (!anomalies.isEmpty()) {
            java.util.Map<String, Long> kinds = new java.util.TreeMap<>();
            anomalies.forEach(a -> kinds.merge(a.type(), 1L, Long::sum));
            throw new InvariantFailure("List-append", nowMicros, anomalies.size() + " anomalies in " + txns.size()
                    + " transactions " + kinds + ", first " + anomalies.get(0));
        }
    }

    /**
     * A GET of every key, and of the lock workload's register if it ran: the final reads, so the
     * history ends with what the store holds.
     */
    static List<ClientOp> readsOf(List<String> keys, SimOptions options) {
        List<ClientOp> reads = new ArrayList<>();
        keys.forEach(key -> reads.add(KvOp.get(key)));
        if (options.workload().locks()) {
            reads.add(LockOp.read(LockClient.LOCK, LockClient.REGISTER));
        }
        if (options.workload() == SimOptions.Workload.BANK) {
            reads.add(io.cairn.sim.kv.BankOp.audit(BankClient.NAMES));
        }
        if (options.workload() == SimOptions.Workload.CROSS_BANK) {
            // One read per account (a command reaches one shard). A get in a Txn waits for a write
            // intent on its key (a stale one is pushed), so these see every transaction resolved.
            CrossBankClient.NAMES.forEach(a -> reads.add(io.cairn.sim.kv.BankOp.audit(List.of(a))));
        }
        return reads;
    }

    /** The lock workload's knobs for this seed (drawn only when it runs), or null. */
    static LockClient.Params lockParams(SimOptions options, RandomSource random, SimParams params) {
        return options.workload().locks()
                ? LockClient.Params.derive(random, params.thinkMaxMicros(), !options.unfencedLocks()) : null;
    }

    /**
     * Each node's wall clock ({@link ClockSkew}) in lock runs (whose lease rules are what it
     * tests); no skew otherwise, so the other workloads' seeds keep their meaning. It is drawn
     * from a generator of its own, derived from the seed, rather than from the run's: drawing
     * from the run's would shift every later draw (the clients', the nemesis') and give a pinned
     * lock seed another fault schedule.
     */
    static ClockSkew clockSkew(SimOptions options, long seed, int maxNodeId) {
        return options.workload().locks()
                ? ClockSkew.derive(new io.cairn.common.SeededRandom(Hashing.combine(seed, CLOCK_SKEW_STREAM)), maxNodeId)
                : ClockSkew.NONE;
    }

    /** Tells the clock skew's generator apart from the run's, which starts from the bare seed. */
    private static final long CLOCK_SKEW_STREAM = 0x636C_6F63_6B73_6B77L;

    /** The first client whose workload has not finished its turn since healing, as it describes itself; or null. */
    static String unfinishedTurn(List<SimClient> clients) {
        for (SimClient client : clients) {
            String work = client.unfinishedWork();
            if (work != null) {
                return work;
            }
        }
        return null;
    }

    /**
     * The lock as {@code leader} holds it at the end of a lock run, with when the run healed; null
     * in other runs.
     */
    static LockCheck.End lockEnd(SimOptions options, SimNode leader, long healMicros) {
        if (!options.workload().locks()) {
            return null;
        }
        List<io.cairn.kv.state.LockState.Entry> left = new ArrayList<>();
        leader.lockState(LockClient.LOCK).ifPresent(state -> {
            left.addAll(state.holders());
            left.addAll(state.waiters());
        });
        return new LockCheck.End(healMicros, LockClient.WAIT_POLLS_MAX, left);
    }

    /**
     * The workload client {@code client} runs instead of random key-value operations, or null: in
     * a lock or bank run, every client but the last.
     */
    static WorkloadDriver driverFor(SimOptions options, LockClient.Params lockParams, int client, int clients,
                                    RandomSource random, long thinkMaxMicros, Coverage coverage, int shards,
                                    java.util.function.LongSupplier nowMicros,
                                    java.util.function.ToIntFunction<String> shardOfKey) {
        if (client == clients) {
            return null;
        }
        return switch (options.workload()) {
            case AGGREGATE -> client == 1
                    ? new AggregateWorkload.Writer(AggregateWorkload.counters(shards), random, thinkMaxMicros)
                    : new AggregateWorkload.Auditor(AggregateWorkload.counters(shards), random, thinkMaxMicros,
                            options.sabotage() == SimOptions.Sabotage.UNCUT_AGGREGATES, coverage);
            case LOCK -> new LockClient(client, random, lockParams, coverage);
            case SESSION_LOCK -> new LockClient(client, random, lockParams, coverage, nowMicros);
            case BANK -> new BankClient(random, thinkMaxMicros, coverage);
            case LIST_APPEND -> new ListAppendClient(client, random, thinkMaxMicros, coverage);
            case CROSS_BANK -> new CrossBankClient(client, random, thinkMaxMicros, coverage, shardOfKey);
            case CROSS_LIST_APPEND -> new CrossListAppendClient(client, random, thinkMaxMicros, coverage, shardOfKey);
            case KV -> null;
        };
    }

    /** Where a message goes: the simulated network's send. */
    interface Sender {
        void send(int from, int to, Object message);
    }

    /**
     * For a lock client with a session: every quarter of its TTL, its keep-alive to every node
     * address 1..{@code maxNodeAddress} (down or missing nodes lose it), except while it pauses.
     * As the real client does, it never stops on its own; the cluster ends the session.
     */
    static void keepSessionAlive(Scheduler scheduler, WorkloadDriver driver, int clientAddress, int maxNodeAddress,
                                 Sender network) {
        if (!(driver instanceof LockClient lock) || !lock.sessions()) {
            return;
        }
        long periodMicros = lock.sessionTtlMillis() * 1_000 / 4;
        Runnable[] beat = new Runnable[1];
        beat[0] = () -> {
            long session = lock.keepaliveSession(scheduler.nowMicros());
            if (session != 0) {
                for (int node = 1; node <= maxNodeAddress; node++) {
                    network.send(clientAddress, node, new SimKeepalive(session));
                }
            }
            scheduler.after(periodMicros, EventKind.CUSTOM, clientAddress, 0, null, beat[0]);
        };
        scheduler.after(periodMicros, EventKind.CUSTOM, clientAddress, 0, null, beat[0]);
    }

    /** Whether the auditor has done its final reads; fails the run once they took longer than the bound. */
    static boolean finalReadsDone(SimClient auditor, long startedMicros, long boundMicros, long nowMicros) {
        if (auditor.isScriptDone()) {
            return true;
        }
        if (nowMicros - startedMicros > boundMicros) {
            throw new InvariantFailure("Liveness", nowMicros, "final reads not done after "
                    + boundMicros / 1000 + " ms: " + auditor.describeCurrent());
        }
        return false;
    }

    static long completedOps(List<SimClient> clients) {
        long done = 0;
        for (SimClient client : clients) {
            done += client.completed();
        }
        return done;
    }

    /** An unexpected exception, with the top of its stack, as a failure message. */
    static String describe(Throwable t, int frames) {
        StringBuilder sb = new StringBuilder(t.toString());
        StackTraceElement[] stack = t.getStackTrace();
        for (int i = 0; i < Math.min(frames, stack.length); i++) {
            sb.append("\n    at ").append(stack[i]);
        }
        return sb.toString();
    }
}
