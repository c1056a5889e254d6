package io.cairn.sim;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The simulator's command line.
 *
 * <pre>
 *   simulate --seed S [--nodes 3|5] [--faults LIST] [--sharded] [--workload kv|lock|session-lock|bank|cross-bank|list-append|cross-list-append|aggregate] [--trace]
 *   simulate --seeds N [--from S0] [--nodes 3|5] [--faults LIST] [--sharded] [--workload kv|lock|session-lock|bank|cross-bank|list-append|cross-list-append|aggregate] [--threads T]
 * </pre>
 *
 * {@code --sharded} runs a sharded cluster ({@link ShardedSimulation}: many groups, the metadata
 * group and the placement driver, joins and a machine lost for good) instead of one group.
 * {@code --faults} is {@code all} (default), {@code none} or a comma list of drop, delay, dup,
 * partition, oneway, crash, crashready, membership, transfer, compact, skew, diskfull. {@code --workload lock}
 * makes all clients but one run {@link LockClient} (locks, fenced writes, pauses past the TTL),
 * checked by {@link LockCheck}; {@code --workload session-lock} holds the locks by sessions kept alive
 * by keep-alives instead; {@code --unsafe-unfenced-locks} is the negative control of both (writes
 * without the fence, which the checker must catch; implies the lock workload). {@code --workload bank}
 * makes them run {@link BankClient} (optimistic transfers and audits), checked by {@link BankCheck};
 * {@code --sabotage unchecked_txns} is its negative control. One seed prints its result
 * and ends with {@code digest: <hex>}; a batch prints progress, each failure with its replay
 * command, and ends with {@code N passed, M failed}. The exit code is 1 when anything failed.
 */
public final class SimulateMain {
    private SimulateMain() {}

    public static void main(String[] args) {
        int status;
        try {
            status = run(args, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("simulate: " + e.getMessage());
            System.err.println("usage: simulate --seed S [--nodes 3|5] [--faults LIST] [--sharded] [--workload kv|lock|session-lock|bank|cross-bank|list-append|cross-list-append|aggregate]"
                    + " [--unsafe-unfenced-locks] [--trace]");
            System.err.println("       simulate --seeds N [--from S0] [--nodes 3|5] [--faults LIST] [--sharded]"
                    + " [--workload kv|lock|session-lock|bank|cross-bank|list-append|cross-list-append|aggregate] [--unsafe-unfenced-locks] [--threads T]");
            status = 2;
        }
        System.exit(status);
    }

    static int run(String[] args, PrintStream out) {
        Args a = Args.parse(args);
        if (a.seed != null) {
            return runOne(a, out);
        }
        if (a.seeds > 0) {
            return runBatch(a, out);
        }
        throw new IllegalArgumentException("give --seed S or --seeds N");
    }

    private static int runOne(Args a, PrintStream out) {
        long start = System.nanoTime();
        SimResult r = a.options.run(a.seed, a.trace ? out : null);
        long millis = (System.nanoTime() - start) / 1_000_000;
        out.println(r.summary() + " wall=" + millis + "ms");
        out.println("coverage: " + r.coverage());
        if (!r.passed()) {
            out.println("FAIL seed=" + r.seed() + ": " + r.failure());
            out.println("replay: " + BatchRunner.replayCommand(r.seed(), a.options) + " --trace");
        }
        out.println("digest: " + r.digest());
        return r.passed() ? 0 : 1;
    }

    private static int runBatch(Args a, PrintStream out) {
        out.printf("running seeds %d..%d on %d threads, options:%s%n", a.from, a.from + a.seeds - 1, a.threads,
                a.options.replayArgs().isEmpty() ? " defaults" : a.options.replayArgs());
        BatchRunner.Summary s = BatchRunner.run(a.from, a.seeds, a.options, a.threads, out);
        out.printf(Locale.ROOT, "wall %.1f s, %.1f ms/seed (%.1f ms/seed per thread)%n", s.wallMillis() / 1000.0,
                s.millisPerSeed(), s.millisPerSeed() * a.threads);
        out.println("coverage totals: " + s.totals());
        out.println("runs with each: " + s.runsWith());
        out.println("runs with 3 voters: " + s.threeVoterRuns() + ", with 5: " + (s.seeds() - s.threeVoterRuns()));
        out.printf("max heal-to-quiescence: %d ms (seed %d)%n", s.maxQuiescenceMicros() / 1000, s.maxQuiescenceSeed());
        out.println(s.passed() + " passed, " + s.failures().size() + " failed");
        return s.failures().isEmpty() ? 0 : 1;
    }

    /** Parsed arguments. */
    private static final class Args {
        Long seed;
        long seeds;
        long from;
        boolean trace;
        int threads = Runtime.getRuntime().availableProcessors();
        SimOptions options = SimOptions.defaults();

        static Args parse(String[] args) {
            Args a = new Args();
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if (flag.equals("--trace")) {
                    a.trace = true;
                    continue;
                }
                if (flag.equals("--sharded")) {
                    a.options = a.options.withSharded(true);
                    continue;
                }
                if (flag.equals("--unsafe-unfenced-locks")) {
                    a.options = a.options.withUnfencedLocks(true);
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                a.apply(flag, args[++i]);
            }
            return a;
        }

        private void apply(String flag, String value) {
            switch (flag) {
                case "--seed" -> seed = parseLong(flag, value);
                case "--seeds" -> seeds = parseLong(flag, value);
                case "--from" -> from = parseLong(flag, value);
                case "--threads" -> threads = (int) Math.max(1, parseLong(flag, value));
                case "--nodes" -> options = options.withNodes((int) parseLong(flag, value));
                case "--faults" -> options = options.withFaults(Fault.parse(value));
                case "--fault-ms" -> options = options.withFaultPhaseMicros(parseLong(flag, value) * 1000);
                case "--workload" -> options = options.withWorkload(parseWorkload(value));
                case "--sabotage" -> options = options.withSabotage(
                        SimOptions.Sabotage.valueOf(value.toUpperCase(Locale.ROOT)));
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }

        private static SimOptions.Workload parseWorkload(String value) {
            for (SimOptions.Workload w : SimOptions.Workload.values()) {
                if (w.name().equalsIgnoreCase(value.replace('-', '_'))) {
                    return w;
                }
            }
            throw new IllegalArgumentException("--workload is kv, lock, session-lock, bank, cross-bank, list-append, cross-list-append or aggregate, not '" + value + "'");
        }

        private static long parseLong(String flag, String value) {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " needs a number, got '" + value + "'");
            }
        }
    }
}
