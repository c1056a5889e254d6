package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.LockInfo;
import io.cairn.client.LockSession;
import io.cairn.client.SessionLock;
import io.cairn.client.SessionLostException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn lock NAME -- COMMAND ARGS...}: runs a command while holding a lock. The lock is
 * held by a session kept alive in the background; waiting is in line, pushed by the server. If
 * the session can no longer be proven alive, the lock may be someone else's: the command is
 * stopped and the exit status says so. The token is in {@code CAIRN_LOCK_TOKEN} for the command
 * to fence its writes with.
 */
@Command(name = "lock", mixinStandardHelpOptions = true,
        description = {"Runs COMMAND while holding the lock NAME; exits with COMMAND's status.",
                "COMMAND sees CAIRN_LOCK_NAME and CAIRN_LOCK_TOKEN (the fencing token).",
                "Waiters are served in the order they asked. --permits N makes NAME a semaphore of N;"
                        + " --read/--write take a side of a read-write lock.",
                "Exit status: COMMAND's; 1 if the lock stayed busy for --wait or was lost (COMMAND is then stopped);"
                        + " 2 bad input; 3 cluster unreachable."},
        subcommands = {LockCommand.Show.class, LockCommand.ListLocks.class})
final class LockCommand extends ClientCommand {
    // Optional to picocli only, so that `lock show NAME` parses; validate() requires it.
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The lock; a {tag} puts it in the shard of keys with the same tag.")
    String name;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "The command and its arguments, after --.")
    List<String> command = new ArrayList<>();

    @Option(names = "--ttl", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "The session's TTL: how long the lock outlives this process if it dies. Default: ${DEFAULT-VALUE}")
    Duration ttl = Duration.ofSeconds(10);

    @Option(names = "--wait", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long to wait in line for a busy lock. Default: ${DEFAULT-VALUE}")
    Duration wait = Duration.ofSeconds(30);

    @Option(names = "--permits", paramLabel = "N", description = "NAME is a semaphore of N permits; this takes one.")
    int permits = 1;

    @Option(names = "--read", description = "Take the read side of the read-write lock NAME (shared with other readers).")
    boolean read;

    @Option(names = "--write", description = "Take the write side of the read-write lock NAME.")
    boolean write;

    @Option(names = "--lock-delay", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "If this process dies holding the lock, keep it closed this long after its session ends."
                    + " Default: ${DEFAULT-VALUE}")
    Duration lockDelay = Duration.ZERO;

    @Override
    void validate() {
        if (name == null) {
            throw new IllegalArgumentException("no lock name: cairn lock NAME -- COMMAND [ARGS...]");
        }
        checkKey(name);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no command to run: cairn lock NAME -- COMMAND [ARGS...]");
        }
        if (ttl.compareTo(LockSession.TTL_MIN) < 0 || ttl.compareTo(LockSession.TTL_MAX) > 0) {
            throw new IllegalArgumentException("--ttl must be " + LockSession.TTL_MIN.toMillis() + "ms to "
                    + LockSession.TTL_MAX.toHours() + "h, so the lock can be kept alive");
        }
        if (wait.isNegative() || lockDelay.isNegative()) {
            throw new IllegalArgumentException("--wait and --lock-delay must not be negative");
        }
        if (read && write) {
            throw new IllegalArgumentException("--read and --write are the two sides of one lock: pick one");
        }
        if ((read || write) && permits != 1) {
            throw new IllegalArgumentException("--permits makes a semaphore, --read/--write a read-write lock: pick one");
        }
        if (permits < 1 || permits >= SessionLock.READ_WRITE_PERMITS) {
            throw new IllegalArgumentException("--permits must be 1 to " + (SessionLock.READ_WRITE_PERMITS - 1));
        }
    }

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) throws Exception {
        try (LockSession session = client.openSession(ttl, lockDelay)) {
            SessionLock lock = read ? session.readWriteLock(name).readLock()
                    : write ? session.readWriteLock(name).writeLock()
                    : permits > 1 ? session.semaphore(utf8(name), permits, 1) : session.lock(name);
            OptionalLong token = lock.tryLock(wait);
            if (token.isEmpty()) {
                String holder = client.lockInfo(utf8(name)).flatMap(i -> i.holders().stream().findFirst())
                        .map(h -> " (token " + h.token() + ")").orElse("");
                err.println("cairn: lock " + name + " is held by another owner" + holder + "; waited " + wait);
                err.flush();
                return CairnCli.EXIT_NEGATIVE;
            }
            err.println("cairn: holding lock " + name + " with token " + token.getAsLong());
            err.flush();
            ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
            pb.environment().put("CAIRN_LOCK_NAME", name);
            pb.environment().put("CAIRN_LOCK_TOKEN", Long.toString(token.getAsLong()));
            Process child;
            try {
                child = pb.start();
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
            }
            AtomicReference<SessionLostException> lost = new AtomicReference<>();
            session.onLost(e -> {
                lost.set(e);
                stop(child);
            });
            int status = child.waitFor();
            if (lost.get() != null) {
                err.println("cairn: lost lock " + name + " (" + lost.get().getMessage() + "); the command was stopped");
                err.flush();
                return CairnCli.EXIT_NEGATIVE;
            }
            return status;
        }
    }

    private static void stop(Process child) {
        child.destroy();
        try {
            if (!child.waitFor(5, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Shows the lock's holders and waiters; exit 1 when it is free.")
    static final class Show extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--json", description = "One JSON object: name, held, permits, token (the newest holder's),"
                + " holders and waiters (owner in hex, session, weight, token, expires_at_ms), delay_until_ms.")
        boolean json;

        @Override
        void validate() {
            checkKey(name);
        }

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) {
            Optional<LockInfo> info = client.lockInfo(utf8(name));
            boolean held = info.isPresent() && !info.get().holders().isEmpty();
            if (json) {
                out.println(info.map(LockCommand::json).orElse("{\"name\":" + KvJson.quote(name) + ",\"held\":false}"));
            } else if (info.isPresent()) {
                out.println(text(info.get()));
            } else {
                out.println(name + " free");
            }
            return held ? CairnCli.EXIT_OK : CairnCli.EXIT_NEGATIVE;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists every lock with holders or waiters, shard by shard.")
    static final class ListLocks extends ClientCommand {
        @Option(names = "--json", description = "One JSON array of objects as `lock show --json` prints them.")
        boolean json;

        @Option(names = "--limit", paramLabel = "N", description = "At most N locks per shard. Default: ${DEFAULT-VALUE}")
        int limit = 1_000;

        @Override
        void validate() {
            if (limit < 1) {
                throw new IllegalArgumentException("--limit must be positive");
            }
        }

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) {
            List<LockInfo> locks = client.listLocks(limit);
            if (json) {
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i < locks.size(); i++) {
                    sb.append(i == 0 ? "" : ",").append(json(locks.get(i)));
                }
                out.println(sb.append(']'));
            } else if (locks.isEmpty()) {
                out.println("no locks held or waited for");
            } else {
                locks.forEach(l -> out.println(text(l)));
            }
            return CairnCli.EXIT_OK;
        }
    }

    private static String text(LockInfo l) {
        String name = new String(l.name(), StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(name);
        sb.append(l.holders().isEmpty() ? " free" : " held token=" + newestToken(l));
        sb.append(" ").append(kind(l.permits()));
        for (LockInfo.Entry h : l.holders()) {
            sb.append("\n  holder token=").append(h.token()).append(' ').append(who(h));
        }
        for (int i = 0; i < l.waiters().size(); i++) {
            sb.append("\n  waiter #").append(i + 1).append(' ').append(who(l.waiters().get(i)));
        }
        if (l.delayUntilMillis() != 0) {
            sb.append("\n  closed by a lock delay until ").append(Instant.ofEpochMilli(l.delayUntilMillis()));
        }
        return sb.toString();
    }

    private static String who(LockInfo.Entry e) {
        String owner = "owner=" + HexFormat.of().formatHex(e.owner());
        String weight = e.weight() == 1 ? "" : " weight=" + (e.weight() == SessionLock.READ_WRITE_PERMITS ? "all" : e.weight());
        return e.sessionId() == 0 ? owner + " expires=" + Instant.ofEpochMilli(e.expiresAtMillis()) + weight
                : owner + " session=" + Long.toHexString(e.sessionId()) + weight;
    }

    private static String kind(int permits) {
        return permits == 1 ? "exclusive" : permits == SessionLock.READ_WRITE_PERMITS ? "read-write" : "semaphore of " + permits;
    }

    private static long newestToken(LockInfo l) {
        return l.holders().stream().mapToLong(LockInfo.Entry::token).max().orElse(0);
    }

    static String json(LockInfo l) {
        StringBuilder sb = new StringBuilder("{\"name\":").append(KvJson.quote(new String(l.name(), StandardCharsets.UTF_8)))
                .append(",\"held\":").append(!l.holders().isEmpty())
                .append(",\"permits\":").append(l.permits())
                .append(",\"token\":").append(newestToken(l))
                .append(",\"delay_until_ms\":").append(l.delayUntilMillis())
                .append(",\"holders\":");
        entries(sb, l.holders());
        sb.append(",\"waiters\":");
        entries(sb, l.waiters());
        return sb.append('}').toString();
    }

    private static void entries(StringBuilder sb, List<LockInfo.Entry> entries) {
        sb.append('[');
        for (int i = 0; i < entries.size(); i++) {
            LockInfo.Entry e = entries.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"owner\":\"").append(HexFormat.of().formatHex(e.owner()))
                    .append("\",\"session\":\"").append(Long.toHexString(e.sessionId()))
                    .append("\",\"weight\":").append(e.weight())
                    .append(",\"token\":").append(e.token())
                    .append(",\"expires_at_ms\":").append(e.expiresAtMillis()).append('}');
        }
        sb.append(']');
    }
}
