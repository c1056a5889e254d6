package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.LockAttempt;
import io.cairn.client.LockGrant;
import io.cairn.client.StaleTokenException;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn lock NAME -- COMMAND ARGS...}: runs a command while holding a lock. The lock is
 * kept by extending it every third of its TTL; if an extension does not succeed within the TTL
 * (less a margin for clock drift) since the last one that did, the lock may be someone else's:
 * the command is stopped and the exit status says so. The token is in {@code CAIRN_LOCK_TOKEN}
 * for the command to fence its writes with.
 */
@Command(name = "lock", mixinStandardHelpOptions = true,
        description = {"Runs COMMAND while holding the lock NAME; exits with COMMAND's status.",
                "COMMAND sees CAIRN_LOCK_NAME and CAIRN_LOCK_TOKEN (the fencing token).",
                "Exit status: COMMAND's; 1 if the lock stayed busy for --wait or was lost (COMMAND is then stopped);"
                        + " 2 bad input; 3 cluster unreachable."},
        subcommands = LockCommand.Show.class)
final class LockCommand extends ClientCommand {
    /** Of the TTL, the share the holder may count on: the rest absorbs clock drift and a slow round trip. */
    private static final double SAFE_SHARE_OF_TTL = 0.8;

    // Optional to picocli only, so that `lock show NAME` parses; validate() requires it.
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The lock; a {tag} puts it in the shard of keys with the same tag.")
    String name;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "The command and its arguments, after --.")
    List<String> command = new ArrayList<>();

    @Option(names = "--ttl", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long the lock outlives this process if it dies. Default: ${DEFAULT-VALUE}")
    Duration ttl = Duration.ofSeconds(10);

    @Option(names = "--wait", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long to wait for a busy lock (polling). Default: ${DEFAULT-VALUE}")
    Duration wait = Duration.ofSeconds(30);

    @Override
    void validate() {
        if (name == null) {
            throw new IllegalArgumentException("no lock name: cairn lock NAME -- COMMAND [ARGS...]");
        }
        checkKey(name);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no command to run: cairn lock NAME -- COMMAND [ARGS...]");
        }
        if (ttl.compareTo(Duration.ofMillis(300)) < 0) {
            throw new IllegalArgumentException("--ttl must be at least 300ms, so the lock can be kept alive");
        }
        if (wait.isNegative()) {
            throw new IllegalArgumentException("--wait must not be negative");
        }
    }

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) throws Exception {
        byte[] lock = utf8(name);
        LockAttempt held = acquire(client, lock);
        if (!held.acquired()) {
            err.println("cairn: lock " + name + " is held by another owner (token " + held.token() + ", expires "
                    + Instant.ofEpochMilli(held.expiresAtMillis()) + "); waited " + wait);
            err.flush();
            return CairnCli.EXIT_NEGATIVE;
        }
        err.println("cairn: holding lock " + name + " with token " + held.token());
        err.flush();
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().put("CAIRN_LOCK_NAME", name);
        pb.environment().put("CAIRN_LOCK_TOKEN", Long.toString(held.token()));
        Process child;
        try {
            child = pb.start();
        } catch (IOException e) {
            release(client, lock, held.token(), err);
            throw new IllegalArgumentException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        boolean kept = keepWhileRunning(client, lock, held, child, err);
        int status = child.waitFor();
        if (!kept) {
            err.println("cairn: lost lock " + name + " (no extension within its TTL); the command was stopped");
            err.flush();
            return CairnCli.EXIT_NEGATIVE;
        }
        release(client, lock, held.token(), err);
        return status;
    }

    /** Tries until acquired or --wait passes, backing off from 50 ms to 1 s with jitter. */
    private LockAttempt acquire(CairnClient client, byte[] lock) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        long backoffMillis = 50;
        while (true) {
            LockAttempt attempt = client.tryLock(lock, ttl);
            if (attempt.acquired() || System.nanoTime() - deadline >= 0) {
                return attempt;
            }
            TimeUnit.MILLISECONDS.sleep(backoffMillis / 2 + ThreadLocalRandom.current().nextLong(backoffMillis / 2 + 1));
            backoffMillis = Math.min(1_000, backoffMillis * 2);
        }
    }

    /**
     * Extends the lock every third of its TTL while the child runs. False when the lock could not
     * be kept: then the child has been stopped, since its writes may no longer be exclusive.
     */
    private boolean keepWhileRunning(CairnClient client, byte[] lock, LockAttempt held, Process child,
                                     PrintWriter err) throws InterruptedException {
        long safeNanos = (long) (ttl.toNanos() * SAFE_SHARE_OF_TTL);
        long periodMillis = Math.max(100, ttl.toMillis() / 3);
        // Counted from before the request that extended it: the server's TTL starts later than that.
        long safeUntil = System.nanoTime() + safeNanos;
        while (!child.waitFor(periodMillis, TimeUnit.MILLISECONDS)) {
            long sentAt = System.nanoTime();
            try {
                LockAttempt again = client.tryLock(lock, ttl);
                if (again.acquired() && again.token() == held.token()) {
                    safeUntil = sentAt + safeNanos;
                    continue;
                }
                stop(child);
                return false;
            } catch (CairnException e) {
                err.println("cairn: could not extend lock " + name + ": " + e.getMessage());
                err.flush();
            }
            if (System.nanoTime() - safeUntil >= 0) {
                stop(child);
                return false;
            }
        }
        return true;
    }

    private static void stop(Process child) throws InterruptedException {
        child.destroy();
        if (!child.waitFor(5, TimeUnit.SECONDS)) {
            child.destroyForcibly();
        }
    }

    private void release(CairnClient client, byte[] lock, long token, PrintWriter err) {
        try {
            client.unlock(lock, token);
        } catch (StaleTokenException e) {
            err.println("cairn: lock " + name + " had already lapsed before its release");
            err.flush();
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Shows the lock's holder, token and expiry; exit 1 when it is free.")
    static final class Show extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--json", description = "One JSON object: name, held, owner (hex), token, expires_at_ms.")
        boolean json;

        @Override
        void validate() {
            checkKey(name);
        }

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) {
            Optional<LockGrant> grant = client.describeLock(utf8(name));
            if (json) {
                out.println(grant.map(g -> "{\"name\":" + Json.string(name) + ",\"held\":true,\"owner\":\""
                                + java.util.HexFormat.of().formatHex(g.owner()) + "\",\"token\":" + g.token()
                                + ",\"expires_at_ms\":" + g.expiresAtMillis() + "}")
                        .orElse("{\"name\":" + Json.string(name) + ",\"held\":false}"));
            } else if (grant.isPresent()) {
                LockGrant g = grant.get();
                out.println(name + " held token=" + g.token() + " expires=" + Instant.ofEpochMilli(g.expiresAtMillis())
                        + " owner=" + java.util.HexFormat.of().formatHex(g.owner()));
            } else {
                out.println(name + " free");
            }
            return grant.isPresent() ? CairnCli.EXIT_OK : CairnCli.EXIT_NEGATIVE;
        }
    }

    /** A JSON string literal; the names here are text the user typed. */
    private static final class Json {
        static String string(String s) {
            StringBuilder b = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    default -> {
                        if (c < 0x20) {
                            b.append(String.format("\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                    }
                }
            }
            return b.append('"').toString();
        }
    }
}
