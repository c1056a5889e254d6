package io.cairn.sim;

import io.cairn.common.RandomSource;
import io.cairn.placement.AttemptPlan;
import io.cairn.sim.kv.ClientOp;
import io.cairn.sim.kv.KvOp;
import io.cairn.sim.kv.KvResult;
import io.cairn.sim.kv.OpResult;
import java.util.ArrayDeque;
import java.util.List;
import java.util.TreeMap;

/**
 * A client issuing one operation at a time through the faulty network. Each operation has a
 * (client, seq); retries reuse it, so kv-state's session table applies a write once. A CAS
 * expects the version of the key this client last learned of (or absence). Where each attempt
 * goes and the pause before it are the Java client's rule, {@link AttemptPlan} (hint, leader
 * guess per shard, rotation over every node, back-off with jitter), with the back-off scaled to
 * the simulator's tenfold shorter election timeout. An attempt times out after 20 to 300 ms (per
 * seed); during the fault phase the client abandons an operation after
 * {@link SimParams#CLIENT_ABANDON_MICROS}, recording it as pending (it may yet take effect).
 * A client given a {@link LockClient} runs the lock workload instead of random key-value
 * operations: the lock client picks each step and the pause before it.
 */
final class SimClient {
    /** The operation in flight. */
    private static final class Current {
        final long seq;
        final ClientOp op;
        final long invokeMicros;
        final AttemptPlan plan;
        int attempt;
        int target;

        Current(long seq, ClientOp op, long invokeMicros, AttemptPlan plan) {
            this.seq = seq;
            this.op = op;
            this.invokeMicros = invokeMicros;
            this.plan = plan;
        }
    }

    /** The Java client's default back-off (20 ms to 500 ms), a tenth as long as the simulator's election timeout is. */
    static final AttemptPlan.Backoff BACKOFF = new AttemptPlan.Backoff(2, 50);

    private final int id;
    private final int address;
    private final Scheduler scheduler;
    private final Network network;
    private final RandomSource random;
    private final List<HistoryOp> history;
    private final List<String> keys;
    private final int maxNodeId;
    private final long thinkMaxMicros;
    private final long attemptTimeoutMicros;
    private final double wanderProbability;
    /** A fixed list of operations (the final reads), or null for the random workload. */
    private final ArrayDeque<ClientOp> script;
    /** The workload (locks, the bank) this client runs instead of the random one, or null. */
    private WorkloadDriver driver;
    /** The version of each key this client last learned of; 0 means it saw the key absent. */
    private final TreeMap<String, Long> lastSeenVersion = new TreeMap<>();
    private long valueCounter;
    private long seq;
    private Current current;
    private boolean stopping;
    private boolean mayAbandon = true;
    /** Which group serves a key (0 for every key in a single-group run). */
    private final java.util.function.ToIntFunction<String> routeOfKey;
    /** The node that last answered an operation of each route as its leader: the client's leader guesses. */
    private final TreeMap<Integer, Integer> preferredByRoute = new TreeMap<>();
    /** Every node, as a client configured with the whole cluster knows it. */
    private final List<String> nodeAddresses;
    /** Where the next operation starts its walk over the nodes, as the Java client's endpoints rotate. */
    private int rotation;
    private long completed;

    int address() {
        return address;
    }

    SimClient(int id, int address, Scheduler scheduler, Network network, RandomSource random,
              List<HistoryOp> history, List<String> keys, int maxNodeId, long thinkMaxMicros,
              long attemptTimeoutMicros, double wanderProbability, List<? extends ClientOp> script) {
        this(id, address, scheduler, network, random, history, keys, maxNodeId, thinkMaxMicros, attemptTimeoutMicros,
                wanderProbability, script, key -> 0);
    }

    SimClient(int id, int address, Scheduler scheduler, Network network, RandomSource random,
              List<HistoryOp> history, List<String> keys, int maxNodeId, long thinkMaxMicros,
              long attemptTimeoutMicros, double wanderProbability, List<? extends ClientOp> script,
              java.util.function.ToIntFunction<String> routeOfKey) {
        this.routeOfKey = routeOfKey;
        this.id = id;
        this.address = address;
        this.scheduler = scheduler;
        this.network = network;
        this.random = random;
        this.history = history;
        this.keys = keys;
        this.maxNodeId = maxNodeId;
        this.thinkMaxMicros = thinkMaxMicros;
        this.attemptTimeoutMicros = attemptTimeoutMicros;
        this.wanderProbability = wanderProbability;
        this.script = script == null ? null : new ArrayDeque<>(script);
        List<String> all = new java.util.ArrayList<>();
        for (int n = 1; n <= maxNodeId; n++) {
            all.add(nodeAddress(n));
        }
        this.nodeAddresses = List.copyOf(all);
    }

    private static String nodeAddress(int node) {
        return "n" + node;
    }

    private static int nodeOf(String address) {
        return Integer.parseInt(address.substring(1));
    }

    int id() {
        return id;
    }

    /** Makes this client run {@code driver}'s workload; call before {@link #start}. */
    void runWorkload(WorkloadDriver driver) {
        this.driver = driver;
    }

    /** The workload this client runs, or null for the random key-value one. */
    WorkloadDriver driver() {
        return driver;
    }

    /** No operation in flight. */
    boolean isIdle() {
        return current == null;
    }

    /** All scripted operations are done (always false for the random workload). */
    boolean isScriptDone() {
        return script != null && script.isEmpty() && current == null;
    }

    long completed() {
        return completed;
    }

    String describeCurrent() {
        return current == null ? "idle" : "c" + id + "#" + current.seq + " " + current.op + " since "
                + InvariantFailure.formatTime(current.invokeMicros) + " attempt " + current.attempt;
    }

    void start(int firstTarget, long delayMicros) {
        this.rotation = firstTarget - 1;
        scheduler.after(delayMicros, EventKind.CLIENT_NEXT, address, 0, null, this::issue);
    }

    /**
     * Healing has begun: finish the operation in flight, never abandon it, and issue no more,
     * unless the workload has something to finish first ({@link WorkloadDriver#finished()}).
     */
    void stopAfterCurrent() {
        stopping = true;
        mayAbandon = false;
        if (driver != null) {
            driver.healing();
        }
    }

    /** After healing: what the workload still has to finish, or null once it has nothing left. */
    String unfinishedWork() {
        return driver == null || driver.finished() ? null : "c" + id + " " + driver;
    }

    private void issue() {
        if (current != null || (stopping && script == null && (driver == null || driver.finished()))) {
            return;
        }
        ClientOp op = script != null ? script.poll() : driver != null ? driver.next() : nextOp();
        if (op == null) {
            return;
        }
        // Now and then start at a random node, whose hint may name a newer leader. Not after
        // healing, when only a workload finishing its turn still sends: it goes to whoever answered last.
        boolean wander = !stopping && wanderProbability > 0 && random.chance(wanderProbability);
        String first = wander ? nodeAddress(1 + random.nextInt(maxNodeId)) : null;
        int route = routeOfKey.applyAsInt(op.key());
        AttemptPlan.LeaderGuess guess = new AttemptPlan.LeaderGuess() {
            @Override
            public String get() {
                Integer n = preferredByRoute.get(route);
                return n == null ? null : nodeAddress(n);
            }

            @Override
            public void is(String address) {
                preferredByRoute.put(route, nodeOf(address));
            }

            @Override
            public void isNot(String address) {
                preferredByRoute.remove(route, nodeOf(address));
            }
        };
        AttemptPlan plan = new AttemptPlan(nodeAddresses, Math.floorMod(rotation++, maxNodeId), guess, BACKOFF, random, first);
        current = new Current(++seq, op, scheduler.nowMicros(), plan);
        sendAttempt(nodeOf(plan.next()));
    }

    private static final long BOUNDED_READ_MICROS_MIN = 5_000;
    private static final long BOUNDED_READ_MICROS_SPAN = 400_000;

    private static final int TTL_KEYS = 2;

    private KvOp nextOp() {
        if (random.chance(0.15)) {
            // The TTL workload, on keys of its own: puts that expire in 20-400 ms and reads of them.
            String ttlKey = "t" + (1 + random.nextInt(TTL_KEYS));
            return random.chance(0.4) ? KvOp.putWithTtl(ttlKey, newValue(), 20 + random.nextLong(381))
                    : random.chance(0.5) ? KvOp.get(ttlKey) : KvOp.boundedGet(ttlKey, BOUNDED_READ_MICROS_MIN
                            + random.nextLong(BOUNDED_READ_MICROS_SPAN));
        }
        String key = keys.get(random.nextInt(keys.size()));
        int dice = random.nextInt(100);
        if (dice < 20) {
            return KvOp.get(key);
        }
        if (dice < 30) {
            // Bounds around the election timeout: some reads are served by a replica that has
            // not heard of a new leader yet, others must confirm.
            return KvOp.boundedGet(key, BOUNDED_READ_MICROS_MIN + random.nextLong(BOUNDED_READ_MICROS_SPAN));
        }
        if (dice < 60) {
            return KvOp.put(key, newValue());
        }
        if (dice < 88) {
            return KvOp.cas(key, expectedFor(key), newValue());
        }
        return KvOp.delete(key);
    }

    /** Every written value is unique in the run, so a read names the write it saw. */
    private long newValue() {
        return id * 1_000_000_000L + ++valueCounter;
    }

    /** Usually the last version seen (a CAS that may succeed), sometimes 0, "absent". */
    private long expectedFor(String key) {
        if (lastSeenVersion.containsKey(key) && random.chance(0.8)) {
            return lastSeenVersion.get(key);
        }
        return 0;
    }

    private void sendAttempt(int target) {
        current.attempt++;
        current.target = target;
        ClientRequest request = new ClientRequest(id, current.seq, current.attempt, current.op);
        network.send(address, target, request);
        scheduler.after(attemptTimeoutMicros, EventKind.CLIENT_TIMEOUT, address, target, request,
                () -> onTimeout(request));
    }

    void onReply(int fromNode, ClientReply reply) {
        if (current == null || reply.seq() != current.seq) {
            return;
        }
        if (reply.outcome() == ClientReply.Outcome.OK) {
            // Any attempt's OK answers the operation: all attempts carry the same (client, seq).
            preferredByRoute.put(routeOfKey.applyAsInt(current.op.key()), fromNode);
            complete(reply.result());
            return;
        }
        if (reply.attempt() != current.attempt) {
            return;
        }
        // RETRY comes from a leader that lost the slot (the server's UNAVAILABLE): like any failure
        // without a hint. NOT_LEADER follows its hint, if it names one.
        String from = nodeAddress(fromNode);
        long pauseMillis = reply.outcome() == ClientReply.Outcome.NOT_LEADER && reply.leaderHint() != null
                ? current.plan.redirected(from, nodeAddress((int) reply.leaderHint().value()))
                : current.plan.failed(from);
        retryAfter(pauseMillis);
    }

    private void onTimeout(ClientRequest request) {
        if (current == null || request.seq() != current.seq || request.attempt() != current.attempt) {
            return;
        }
        long age = scheduler.nowMicros() - current.invokeMicros;
        if (mayAbandon && script == null && age >= SimParams.CLIENT_ABANDON_MICROS) {
            history.add(new HistoryOp(id, current.seq, current.op, current.invokeMicros, HistoryOp.PENDING, null));
            ClientOp abandoned = current.op;
            current = null;
            if (driver != null) {
                driver.onAbandoned(abandoned);
            }
            scheduleNext();
            return;
        }
        long pauseMillis = current.plan.failed(nodeAddress(current.target));
        retryAfter(pauseMillis);
    }

    /** The next attempt, where the plan says, after its pause; unless the operation ended meanwhile. */
    private void retryAfter(long pauseMillis) {
        long attempt = current.attempt;
        long seqNow = current.seq;
        scheduler.after(pauseMillis * 1_000, EventKind.CLIENT_RETRY, address, 0, null, () -> {
            if (current != null && current.seq == seqNow && current.attempt == attempt) {
                sendAttempt(nodeOf(current.plan.next()));
            }
        });
    }

    private void complete(OpResult result) {
        history.add(new HistoryOp(id, current.seq, current.op, current.invokeMicros, scheduler.nowMicros(), result));
        ClientOp op = current.op;
        current = null;
        completed++;
        if (op instanceof KvOp kvOp) {
            remember(kvOp, (KvResult) result);
        }
        // A driver that writes plain keys (the aggregation workload's writer) learns of them too.
        if (driver != null) {
            driver.onResult(op, result);
        }
        scheduleNext();
    }

    /** Every answer tells the key's version at the moment the operation took effect. */
    private void remember(KvOp op, KvResult result) {
        long version;
        if (result instanceof KvResult.Read read) {
            version = read.version();
        } else if (result instanceof KvResult.Written written) {
            version = written.version();
        } else if (result instanceof KvResult.CasFailed failed) {
            version = failed.actualVersion();
        } else {
            version = 0;
        }
        lastSeenVersion.put(op.key(), version);
    }

    private void scheduleNext() {
        long think = script != null ? 0 : driver != null ? driver.pauseMicros() : random.nextLong(thinkMaxMicros + 1);
        scheduler.after(think, EventKind.CLIENT_NEXT, address, 0, null, this::issue);
    }

    /** The operation still in flight at the end of a run, as pending, for the history. */
    HistoryOp inFlightAsPending() {
        return current == null ? null
                : new HistoryOp(id, current.seq, current.op, current.invokeMicros, HistoryOp.PENDING, null);
    }
}
