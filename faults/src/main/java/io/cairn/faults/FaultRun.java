package io.cairn.faults;

import io.cairn.api.proto.Faults;
import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.ClusterStatus;
import io.cairn.client.KeyValue;
import io.cairn.sim.LockCheck;
import io.cairn.sim.lin.CheckResult;
import io.cairn.sim.lin.KvModel;
import io.cairn.sim.lin.KvValue;
import io.cairn.sim.lin.LinearizabilityChecker;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One scenario: real nodes, concurrent clients, a schedule of faults of one kind (or of every
 * kind in turn), then healing, final reads of every key, and the linearizability check.
 *
 * <p>The seed fixes the schedule (which fault, on which node, for how long) and the clients'
 * choices; the interleaving of real processes is the machine's, so a seed replays the faults,
 * not the exact history.
 */
final class FaultRun {
    /**
     * Options of a run. {@code lockClients} run the lock workload beside the register workload
     * (0: none); {@code unfencedLocks} is its negative control (their writes go without the fence).
     * {@code secure}: TLS and authentication on every node, every client signed in as root.
     */
    record Options(List<FaultKind> kinds, String name, long seed, Duration duration, int nodes, int keys,
                   int routedClients, int plainClients, boolean unsafeLocalReads, int lockClients,
                   boolean unfencedLocks, boolean unsafeUncheckedTxns, boolean unsafeUncutAggregates,
                   boolean secure) {
        Options {
            if (kinds.isEmpty() || nodes < 3 || keys < 2 || routedClients + plainClients < 1) {
                throw new IllegalArgumentException("need a fault kind, >= 3 nodes, >= 2 keys and a client");
            }
            if (lockClients < 0 || lockClients > 255) {
                throw new IllegalArgumentException("0 to 255 lock clients (a register value has 8 bits for the client): "
                        + lockClients);
            }
            if (duration.toSeconds() < 5) {
                throw new IllegalArgumentException("a run lasts at least 5 s: " + duration);
            }
        }
    }

    /** One fault as it happened: what, where, and when (ns on this JVM's monotonic clock). */
    record Event(FaultKind kind, String detail, long startNanos, long endNanos) {}

    private static final int TICK_MS = 50;
    /** The nodes' election timeout is 10 to 20 ticks. */
    private static final long ELECTION_TIMEOUT_MAX_MS = 20L * TICK_MS;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** Search steps per key; a history with many writes of unknown outcome needs more than the default. */
    private static final long CHECK_STEPS_PER_KEY = 100_000_000;
    /** The clock fault shifts each node's wall clock by up to this much, either way. */
    static final long CLOCK_OFFSET_MAX_MS = 30_000;
    /**
     * The lease-expiry rule's margin when no clock is shifted: the nodes' clock is this machine's
     * wall clock, the clients' a monotonic clock anchored to it once (ms truncation, slew over a run).
     */
    static final long EXPIRY_SLACK_MS = 100;

    private final Options options;
    private final Path dir;
    private final PrintStream log;
    private final SplittableRandom random;
    private final List<Event> events = new ArrayList<>();
    /** What went wrong besides the history: a node that failed without a clear message, say. */
    private final List<String> problems = new ArrayList<>();
    /** Nodes that must not run again: removed ones (they stop by themselves) and refused ones. */
    private final java.util.TreeSet<Integer> retired = new java.util.TreeSet<>();
    /** Of those, the ones removed while running: each must stop by itself. */
    private final java.util.TreeSet<Integer> removedRunning = new java.util.TreeSet<>();
    private boolean founderRemoved;
    private Faults base = Faults.getDefaultInstance();
    /** Set for the length of {@link #run}: how every node is started and every client made. */
    private SecureSetup security = SecureSetup.plain();

    FaultRun(Options options, Path dir, PrintStream log) {
        this.options = options;
        this.dir = dir;
        this.log = log;
        this.random = new SplittableRandom(options.seed());
    }

    FaultReport run() throws IOException, InterruptedException {
        Files.createDirectories(dir);
        try (SecureSetup setup = options.secure() ? SecureSetup.create(dir, options.nodes()) : SecureSetup.plain()) {
            security = setup;
            return runNodes();
        }
    }

    private FaultReport runNodes() throws IOException, InterruptedException {
        try (Nodes nodes = new Nodes(dir, options.nodes(), nodeArgs(SHARDS), security)) {
            nodes.startAll();
            awaitLeader(nodes, Duration.ofSeconds(60));
            for (int id : nodes.ids()) {
                problems.addAll(security.unrefusedCallers(nodes.address(id)));
            }
            if (options.unsafeLocalReads()) {
                base = Faults.newBuilder().setUnsafeLocalReads(true).build();
                nodes.ids().forEach(id -> nodes.setFaults(id, base));
            }
            Workload load = new Workload(security, nodes.endpoints(), options.keys(), REQUEST_TIMEOUT);
            load.start(options.routedClients(), options.plainClients(), options.seed());
            LockWorkload locks = new LockWorkload(security, nodes.endpoints(), REQUEST_TIMEOUT, !options.unfencedLocks(), dir);
            locks.start(options.lockClients(), options.seed());
            WatchWorkload watches = new WatchWorkload(security, nodes.endpoints(), REQUEST_TIMEOUT);
            watches.start();
            BankWorkload bank = new BankWorkload(security, nodes.endpoints(), REQUEST_TIMEOUT, sharded() ? SHARDS : 1);
            if (options.unsafeUncheckedTxns() || options.unsafeUncutAggregates()) {
                base = base.toBuilder().setUnsafeUncheckedTxns(options.unsafeUncheckedTxns())
                        .setUnsafeUncutAggregates(options.unsafeUncutAggregates()).build();
                nodes.ids().forEach(id -> nodes.setFaults(id, base));
            }
            bank.start(BANK_CLIENTS, options.seed());
            long runStart = System.nanoTime();
            await("the clients' first 20 operations", Duration.ofSeconds(30), () -> load.acknowledged.get() >= 20);
            long endNanos = runStart + options.duration().toNanos();
            int round = 0;
            while (true) {
                FaultKind kind = options.kinds().get(round++ % options.kinds().size());
                long holdNanos = holdMillis(kind) * 1_000_000L;
                if (System.nanoTime() + holdNanos > endNanos) {
                    break; // no time left for a whole fault
                }
                inject(nodes, kind, System.nanoTime() + holdNanos);
                pace(Math.min(endNanos, System.nanoTime() + (1_500 + random.nextInt(1_500)) * 1_000_000L));
            }
            locks.signalStop();
            watches.signalStop();
            bank.signalStop();
            load.stop();
            if (!bank.stop(REQUEST_TIMEOUT.multipliedBy(3))) {
                problems.add("a bank client was still running " + REQUEST_TIMEOUT.toSeconds() * 3 + " s after the stop");
            }
            if (!locks.stop()) {
                problems.add("a lock client was still running " + REQUEST_TIMEOUT.toSeconds() * 3 + " s after the stop");
            }
            healAll(nodes);
            base = Faults.getDefaultInstance();
            for (int id : nodes.ids()) {
                if (!retired.contains(id)) {
                    nodes.setFaults(id, base);
                }
            }
            if (sharded()) {
                awaitSettled(nodes, Duration.ofSeconds(120));
                awaitRetiredStopped(nodes, Duration.ofSeconds(60));
            } else {
                awaitCaughtUp(nodes, Duration.ofSeconds(90));
            }
            finalReads(nodes, load, locks);
            problems.addAll(watches.check(Duration.ofSeconds(60)));
            log.println("  watch: " + watches.summary());
            try (CairnClient client = security.client(nodes.endpoints()).requestTimeout(REQUEST_TIMEOUT)
                    .build()) {
                bank.finalAudit(client);
            }
            problems.addAll(bank.violations());
            log.println("  bank: " + bank.summary());
            return check(load, locks);
        }
    }

    private long holdMillis(FaultKind kind) {
        // A pause must outlast an election timeout, or the cluster never notices it.
        long min = kind == FaultKind.PAUSE ? 2 * ELECTION_TIMEOUT_MAX_MS : 1_500;
        return min + random.nextInt(3_000);
    }

    /** Shards of the kill and membership scenarios' clusters; the others run one group. */
    static final int SHARDS = 4;
    /** The bank's transfer clients, beside its auditor. */
    private static final int BANK_CLIENTS = 3;
    /** More members than this and the scenario removes one instead of adding one. */
    private static final int MEMBERS_MAX = 6;

    private boolean sharded() {
        // Kill runs sharded too, so the bank's cross-shard transactions lose coordinators and leaders.
        return options.kinds().contains(FaultKind.MEMBERSHIP)
                || options.kinds().size() == 1 && options.kinds().contains(FaultKind.KILL);
    }

    private List<String> nodeArgs(int shards) {
        List<String> args = new ArrayList<>(List.of("--tick-ms", Integer.toString(TICK_MS)));
        if (sharded()) {
            args.addAll(List.of("--shards", Integer.toString(shards), "--dead-node-timeout", "3s"));
        }
        return args;
    }

    /**
     * One operator action, as a person at the CLI would take it, right or wrong: a node joins; a
     * member is removed (a joiner, or one founder once), perhaps killed right after; a node joins
     * with another shard count; add-node names a live member's id at another address. The wrong
     * ones must be refused, which is checked here; what the right ones do to the clients'
     * answers is the history's to show.
     */
    private String operatorAction(Nodes nodes) throws IOException, InterruptedException {
        List<Integer> members = nodes.ids().stream().filter(id -> !retired.contains(id) && nodes.isRunning(id)).toList();
        List<String> endpoints = members.stream().map(nodes::address).toList();
        int action = random.nextInt(5);
        if (action == 0 && members.size() >= MEMBERS_MAX) {
            action = 1;
        }
        if ((action == 1 || action == 2) && members.size() <= 3) {
            action = 0;
        }
        try (CairnClient admin = security.client(endpoints).requestTimeout(Duration.ofSeconds(10)).build()) {
            switch (action) {
                case 0 -> {
                    int id = nodes.nextId();
                    nodes.startJoiner(id, nodeArgs(SHARDS));
                    return "n" + id + " joins";
                }
                case 1, 2 -> {
                    // Only a node the membership has UP: one that just started may not be admitted yet.
                    var up = admin.members();
                    List<Integer> candidates = members.stream().filter(id -> id > options.nodes() || !founderRemoved)
                            .filter(id -> up.member(id).map(m -> m.state() == io.cairn.client.Members.State.UP)
                                    .orElse(false)).toList();
                    if (candidates.size() < 1 || up.members().stream()
                            .filter(m -> m.state() == io.cairn.client.Members.State.UP).count() <= 3) {
                        return "no member to remove yet";
                    }
                    int victim = candidates.get(random.nextInt(candidates.size()));
                    try {
                        admin.removeNode(victim);
                    } catch (IllegalArgumentException e) {
                        return "remove-node n" + victim + " refused: " + e.getMessage();
                    }
                    retired.add(victim);
                    founderRemoved |= victim <= options.nodes();
                    if (action == 2) {
                        nodes.kill(victim);
                        return "remove-node n" + victim + ", then kill -9 it";
                    }
                    removedRunning.add(victim);
                    return "remove-node n" + victim;
                }
                case 3 -> {
                    int id = nodes.nextId();
                    retired.add(id);
                    nodes.startJoiner(id, nodeArgs(SHARDS * 2));
                    try {
                        await("n" + id + " (--shards " + SHARDS * 2 + ") to be refused", Duration.ofSeconds(60),
                                () -> !nodes.isRunning(id));
                    } catch (IllegalStateException e) {
                        problems.add("n" + id + ", started with --shards " + SHARDS * 2 + ", was not refused");
                        nodes.kill(id);
                        return "n" + id + " joins with --shards " + SHARDS * 2 + ": NOT refused";
                    }
                    Integer exit = nodes.exitCode(id);
                    if (exit == null || exit != 2 || !Files.readString(nodes.logFile(id)).contains("the cluster has " + SHARDS + " shards")) {
                        problems.add("n" + id + " (--shards " + SHARDS * 2 + ") exited with " + exit
                                + " without naming the shard count in " + nodes.logFile(id));
                    }
                    return "n" + id + " joins with --shards " + SHARDS * 2 + ": refused, exit " + exit;
                }
                default -> {
                    // A live member's id: one that is still joining is not in the membership yet,
                    // and registering it at an address first is how add-node is meant to be used.
                    var up = admin.members();
                    List<Integer> live = members.stream().filter(id -> up.member(id)
                            .map(m -> m.state() == io.cairn.client.Members.State.UP).orElse(false)).toList();
                    if (live.isEmpty()) {
                        return "no live member to re-add yet";
                    }
                    int victim = live.get(random.nextInt(live.size()));
                    try {
                        admin.addNode(victim, "127.0.0.1:1");
                        problems.add("add-node n" + victim + "=127.0.0.1:1 was accepted while n" + victim + " is a live member");
                        return "add-node n" + victim + " at another address: ACCEPTED";
                    } catch (IllegalArgumentException e) {
                        return "add-node n" + victim + " at another address: refused";
                    }
                }
            }
        } catch (CairnException e) {
            // The control plane was busy (a metadata leader change): no action this round.
            return "no action (" + e.getMessage() + ")";
        }
    }

    /** Every shard led and on three replicas, none of them a retired node. */
    private void awaitSettled(Nodes nodes, Duration timeout) throws InterruptedException {
        List<String> live = nodes.ids().stream().filter(id -> !retired.contains(id)).map(nodes::address).toList();
        try (CairnClient client = security.client(live).requestTimeout(Duration.ofSeconds(2)).build()) {
            await("every shard led by three live replicas", timeout, () -> {
                try {
                    return client.shards().shards().stream().allMatch(s -> s.leader() != 0 && s.replicas().size() == 3
                            && s.replicas().stream().noneMatch(r -> retired.contains(r.intValue())));
                } catch (CairnException e) {
                    return false;
                }
            });
        }
    }

    /** A removed node stops by itself once the cluster tells it so. */
    private void awaitRetiredStopped(Nodes nodes, Duration timeout) throws InterruptedException {
        for (int id : removedRunning) {
            try {
                await("removed n" + id + " to stop by itself", timeout, () -> !nodes.isRunning(id));
            } catch (IllegalStateException e) {
                problems.add("n" + id + " was removed but still runs " + timeout.toSeconds() + " s after the faults");
                nodes.kill(id);
            }
        }
    }

    /** Waits for a point of the fault schedule: pacing the scenario, not waiting for a condition. */
    private static void pace(long untilNanos) throws InterruptedException {
        long left = untilNanos - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private void inject(Nodes nodes, FaultKind kind, long untilNanos) throws IOException, InterruptedException {
        List<Integer> ids = nodes.ids();
        int leader = leaderOrRandom(nodes);
        long start = System.nanoTime();
        String detail;
        switch (kind) {
            case KILL -> {
                int victim = random.nextBoolean() ? leader : ids.get(random.nextInt(ids.size()));
                nodes.kill(victim);
                detail = "kill -9 n" + victim + (victim == leader ? " (leader)" : "");
                pace(untilNanos);
                nodes.start(victim);
            }
            case PAUSE -> {
                nodes.pause(leader);
                detail = "SIGSTOP n" + leader + " (leader)";
                pace(untilNanos);
                nodes.resume(leader);
            }
            case PARTITION_LEADER -> {
                detail = "isolate n" + leader + " (leader)";
                partition(nodes, List.of(List.of(leader), others(ids, List.of(leader))), untilNanos);
            }
            case PARTITION_MINORITY -> {
                List<Integer> shuffled = shuffled(ids);
                List<Integer> minority = shuffled.subList(0, (ids.size() - 1) / 2);
                detail = "isolate minority " + minority;
                partition(nodes, List.of(minority, others(ids, minority)), untilNanos);
            }
            case ONE_WAY -> {
                detail = "n" + leader + " (leader) cannot send to the others";
                block(nodes, leader, others(ids, List.of(leader)));
                pace(untilNanos);
                healNetwork(nodes);
            }
            case BRIDGE -> {
                List<Integer> shuffled = shuffled(ids);
                int bridge = shuffled.get(0);
                List<Integer> rest = shuffled.subList(1, shuffled.size());
                List<Integer> left = rest.subList(0, rest.size() / 2);
                List<Integer> right = rest.subList(rest.size() / 2, rest.size());
                detail = left + " | " + right + " bridged by n" + bridge;
                for (int a : left) {
                    block(nodes, a, right);
                }
                for (int b : right) {
                    block(nodes, b, left);
                }
                pace(untilNanos);
                healNetwork(nodes);
            }
            case CLOCK -> {
                StringBuilder sb = new StringBuilder("clock offsets");
                for (int id : ids) {
                    long offset = random.nextLong(-CLOCK_OFFSET_MAX_MS, CLOCK_OFFSET_MAX_MS + 1);
                    sb.append(" n").append(id).append(offset >= 0 ? "+" : "").append(offset).append("ms");
                    setFaults(nodes, id, base.toBuilder().setClockOffsetMs(offset).build());
                }
                detail = sb.toString();
                pace(untilNanos);
                healNetwork(nodes);
            }
            case SLOW_DISK -> {
                int victim = random.nextBoolean() ? leader : ids.get(random.nextInt(ids.size()));
                long delay = 100 + random.nextInt(300);
                setFaults(nodes, victim, base.toBuilder().setFsyncDelayMs(delay).build());
                detail = "n" + victim + (victim == leader ? " (leader)" : "") + " fsync +" + delay + "ms";
                pace(untilNanos);
                healNetwork(nodes);
            }
            case DISK_FULL -> {
                int victim = random.nextBoolean() ? leader : ids.get(random.nextInt(ids.size()));
                setFaults(nodes, victim, base.toBuilder().setDiskFull(true).build());
                pace(untilNanos);
                Integer exit = nodes.exitCode(victim);
                detail = "n" + victim + (victim == leader ? " (leader)" : "") + " disk full"
                        + (exit == null ? ", still running" : ", stopped with exit code " + exit);
                if (exit != null && !Files.readString(nodes.logFile(victim)).contains("No space left on device")) {
                    problems.add("n" + victim + " stopped on a full disk without saying why in " + nodes.logFile(victim));
                }
                if (exit != null) {
                    nodes.reap(victim);
                    nodes.start(victim);
                } else {
                    setFaults(nodes, victim, base);
                }
            }
            case MEMBERSHIP -> {
                detail = operatorAction(nodes);
                pace(untilNanos);
            }
            default -> throw new IllegalStateException("unhandled fault " + kind);
        }
        Event event = new Event(kind, detail, start, System.nanoTime());
        events.add(event);
        log.printf("  %6.1fs  %-18s %s (%d ms)%n", (start - events.get(0).startNanos()) / 1e9, kind.label, detail,
                (event.endNanos() - start) / 1_000_000);
    }

    private void partition(Nodes nodes, List<List<Integer>> sides, long untilNanos) throws InterruptedException {
        for (List<Integer> side : sides) {
            for (int id : side) {
                block(nodes, id, others(nodes.ids(), side));
            }
        }
        pace(untilNanos);
        healNetwork(nodes);
    }

    private void block(Nodes nodes, int from, List<Integer> to) throws InterruptedException {
        Faults.Builder f = base.toBuilder();
        to.forEach(t -> f.addBlockedAddresses(nodes.address(t)));
        setFaults(nodes, from, f.build());
    }

    /**
     * Sets a node's faults when it runs; a node that is down has none to set. A node may stop
     * while it answers (a full disk stops it at its next write): that is not an error here.
     */
    private static void setFaults(Nodes nodes, int id, Faults faults) throws InterruptedException {
        if (!nodes.isRunning(id) || nodes.isPaused(id)) {
            return;
        }
        try {
            nodes.setFaults(id, faults);
        } catch (io.grpc.StatusRuntimeException e) {
            try {
                await("n" + id + " to stop after its control call broke", Duration.ofSeconds(5), () -> !nodes.isRunning(id));
            } catch (IllegalStateException stillRunning) {
                e.addSuppressed(stillRunning);
                throw e;
            }
        }
    }

    private void healNetwork(Nodes nodes) throws InterruptedException {
        for (int id : nodes.ids()) {
            setFaults(nodes, id, base);
        }
    }

    /** Every node resumed, running (restarted if it stopped or was killed) and without faults. */
    private void healAll(Nodes nodes) throws IOException, InterruptedException {
        for (int id : nodes.ids()) {
            if (retired.contains(id)) {
                continue;
            }
            nodes.resume(id);
            if (!nodes.isRunning(id)) {
                nodes.reap(id);
                nodes.start(id);
            }
        }
    }

    private static List<Integer> others(List<Integer> all, List<Integer> excluded) {
        return all.stream().filter(id -> !excluded.contains(id)).toList();
    }

    private List<Integer> shuffled(List<Integer> ids) {
        List<Integer> out = new ArrayList<>(ids);
        for (int i = out.size() - 1; i > 0; i--) {
            java.util.Collections.swap(out, i, random.nextInt(i + 1));
        }
        return out;
    }

    private int leaderOrRandom(Nodes nodes) {
        List<String> live = nodes.ids().stream().filter(id -> nodes.isRunning(id) && !nodes.isPaused(id))
                .map(nodes::address).toList();
        if (!live.isEmpty()) {
            // The node that says it leads in the highest term: a view relayed by another node may be stale.
            try (CairnClient client = security.client(live).requestTimeout(Duration.ofSeconds(2)).build()) {
                Optional<ClusterStatus.Member> leader = client.clusterStatus().members().stream()
                        .filter(m -> m.role() == ClusterStatus.Role.LEADER)
                        .max(java.util.Comparator.comparingLong(ClusterStatus.Member::term));
                if (leader.isPresent() && nodes.isRunning((int) leader.get().id())) {
                    return (int) leader.get().id();
                }
            } catch (CairnException e) {
                // no leader known right now: pick any node
            }
        }
        return nodes.ids().get(random.nextInt(nodes.ids().size()));
    }

    private void awaitLeader(Nodes nodes, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (CairnClient client = security.client(nodes.endpoints())
                .requestTimeout(Duration.ofSeconds(2)).build()) {
            await("a leader", timeout, () -> {
                try {
                    return client.clusterStatus().leaderId() != 0;
                } catch (CairnException e) {
                    return false;
                }
            });
        }
        if (security.secure()) {
            // A node refuses every request until it holds a copy of the users and roles, which
            // the control group's first leader creates after its election: without this wait the
            // workloads' first calls meet nodes that cannot check them yet, and the bank's
            // opening balances fail outright.
            for (int id : nodes.ids()) {
                try (CairnClient one = security.client(List.of(nodes.address(id)))
                        .requestTimeout(Duration.ofSeconds(2)).build()) {
                    await("n" + id + " to check permissions", Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
                            () -> {
                                try {
                                    one.clusterStatus();
                                    return true;
                                } catch (CairnException e) {
                                    return false;
                                }
                            });
                }
            }
        }
    }

    /** Waits until every node has applied everything the leader committed. */
    private void awaitCaughtUp(Nodes nodes, Duration timeout) throws InterruptedException {
        try (CairnClient client = security.client(nodes.endpoints())
                .requestTimeout(Duration.ofSeconds(2)).build()) {
            await("every node caught up with the leader", timeout, () -> {
                try {
                    ClusterStatus status = client.clusterStatus();
                    long commit = status.leader().map(ClusterStatus.Member::commitIndex).orElse(0L);
                    return commit > 0 && status.members().size() == nodes.ids().size()
                            && status.members().stream().allMatch(m -> m.appliedIndex() >= commit);
                } catch (CairnException e) {
                    return false;
                }
            });
        }
    }

    /** After healing, every key is read once more: an acknowledged write that was lost shows here. */
    private void finalReads(Nodes nodes, Workload load, LockWorkload locks) {
        try (CairnClient client = security.client(nodes.endpoints()).requestTimeout(REQUEST_TIMEOUT).build()) {
            for (int i = 0; i < options.keys(); i++) {
                String key = Workload.key(i);
                long call = System.nanoTime();
                Optional<KeyValue> kv = client.get(key);
                load.recordFinalRead(key, kv.map(v -> KvValue.of(Long.parseLong(v.valueUtf8()))).orElse(KvValue.ABSENT),
                        call, System.nanoTime());
            }
            if (options.lockClients() > 0) {
                locks.finalRead(client);
            }
        }
    }

    /**
     * The margin of the lock checker's lease-expiry rule, which compares a client's send time with
     * a grant's expiry in leader time. With no clock fault both are this machine's wall clock, and
     * a small slack covers how the clients read it. A clock fault shifts a leader's clock by up to
     * {@link #CLOCK_OFFSET_MAX_MS} either way, so a lease can outlive its expiry by that much in
     * the clients' time: then only writes sent more than that after it are judged.
     */
    static long expiryMarginMs(List<FaultKind> kinds) {
        return EXPIRY_SLACK_MS + (kinds.contains(FaultKind.CLOCK) ? CLOCK_OFFSET_MAX_MS : 0);
    }

    private FaultReport check(Workload load, LockWorkload locks) throws IOException {
        LockReport lock = LockReport.NONE;
        if (options.lockClients() > 0) {
            problems.addAll(locks.problems());
            var lockHistory = locks.history();
            long marginMs = expiryMarginMs(options.kinds());
            LockCheck.Violation violation = LockCheck.violation(lockHistory, marginMs * 1_000);
            lock = LockReport.of(locks, options.lockClients(), lockHistory.size(), marginMs, violation);
            if (violation != null) {
                StringBuilder sb = new StringBuilder();
                lockHistory.forEach(step -> sb.append(step).append('\n'));
                Files.writeString(dir.resolve("lock-history.txt"), sb.toString(), StandardCharsets.UTF_8);
                Files.writeString(dir.resolve("lock-verdict.txt"), violation.rule() + " violated: " + violation.detail()
                        + "\n", StandardCharsets.UTF_8);
            }
        }
        var history = load.history();
        CheckResult<?, ?> result = LinearizabilityChecker.check(new KvModel(), history,
                io.cairn.sim.lin.Budget.steps(CHECK_STEPS_PER_KEY).withTimeLimit(Duration.ofMinutes(3), io.cairn.common.Clock.SYSTEM));
        List<Long> unavailableMs = new ArrayList<>();
        List<long[]> writes = load.acknowledgedWrites();
        for (Event e : events) {
            // Time from the fault to the first write that was sent after it and acknowledged.
            long first = writes.stream().filter(w -> w[0] >= e.startNanos()).mapToLong(w -> w[1]).min().orElse(Long.MAX_VALUE);
            unavailableMs.add(first == Long.MAX_VALUE ? -1 : (first - e.startNanos()) / 1_000_000);
        }
        FaultReport report = new FaultReport(options.name(), options.seed(), options.duration(), load.attempted.get(),
                load.acknowledged.get(), load.indeterminate.get(), load.failedReads.get(), history.size(),
                result.verdict(), result.verdict() == CheckResult.Verdict.OK ? "" : result.toString(),
                List.copyOf(events), unavailableMs, List.copyOf(problems), lock, options.secure());
        if (result.verdict() != CheckResult.Verdict.OK) {
            StringBuilder sb = new StringBuilder();
            history.forEach(op -> sb.append(op).append('\n'));
            Files.writeString(dir.resolve("history.txt"), sb.toString(), StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("verdict.txt"), result.toString(), StandardCharsets.UTF_8);
        }
        return report;
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            TimeUnit.MILLISECONDS.sleep(50); // poll interval of the condition
        }
    }
}
