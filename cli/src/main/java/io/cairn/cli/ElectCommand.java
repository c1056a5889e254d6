package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.Election;
import io.cairn.client.LockSession;
import io.cairn.client.SessionLostException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cairn elect NAME VALUE}: campaigns in election NAME, prints when elected and stays the
 * leader until interrupted (which resigns) or until its session is lost. {@code --listen} prints
 * the leader now and on every change instead, as {@code etcdctl elect -l} does.
 */
@Command(name = "elect", mixinStandardHelpOptions = true,
        description = {"Campaigns in election NAME with VALUE; once elected, prints the leadership's token and stays"
                + " leader until Ctrl-C (which resigns).",
                "With --listen, prints the leader now and after every change instead, until Ctrl-C.",
                "Exit status: 0 after Ctrl-C; 1 if the session was lost while leading; 2 bad input; 3 cluster unreachable."})
final class ElectCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The election; a {tag} puts it in the shard of keys with the same tag.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE", description = "What the leader proclaims (its address, say).")
    String value;

    @Option(names = "--listen", description = "Print the leader on every change instead of campaigning.")
    boolean listen;

    @Option(names = "--count", paramLabel = "N", description = "With --listen: exit after printing N leaders.")
    int count;

    @Option(names = "--json", description = "One JSON object per line: name, elected or leader, token, value.")
    boolean json;

    @Option(names = "--ttl", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "The session's TTL: how long the leadership outlives this process if it dies. Default: ${DEFAULT-VALUE}")
    Duration ttl = Duration.ofSeconds(10);

    @Override
    void validate() {
        checkKey(name);
        if (listen == (value != null)) {
            throw new IllegalArgumentException(listen ? "--listen takes no VALUE" : "no VALUE: cairn elect NAME VALUE");
        }
        if (count < 0 || count > 0 && !listen) {
            throw new IllegalArgumentException("--count is positive and goes with --listen");
        }
        if (ttl.compareTo(LockSession.TTL_MIN) < 0 || ttl.compareTo(LockSession.TTL_MAX) > 0) {
            throw new IllegalArgumentException("--ttl must be " + LockSession.TTL_MIN.toMillis() + "ms to "
                    + LockSession.TTL_MAX.toHours() + "h");
        }
    }

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) throws Exception {
        LockSession session = client.openSession(ttl);
        // Ctrl-C ends the session: the leadership (or the place in line) goes at once, not after the TTL.
        Thread resign = new Thread(session::close, "cairn-elect-resign");
        Runtime.getRuntime().addShutdownHook(resign);
        try {
            return listen ? listen(session, out) : lead(session, out, err);
        } finally {
            session.close();
            try {
                Runtime.getRuntime().removeShutdownHook(resign);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs
            }
        }
    }

    private int listen(LockSession session, PrintWriter out) throws Exception {
        CountDownLatch over = new CountDownLatch(1);
        int[] printed = {0};
        try (AutoCloseable observing = session.election(name).observe(leader -> {
            synchronized (out) {
                if (count > 0 && printed[0] >= count) {
                    return;
                }
                out.println(line("leader", leader.map(Election.Leader::token).orElse(0L),
                        leader.map(l -> new String(l.value(), StandardCharsets.UTF_8)).orElse(null)));
                out.flush();
                if (++printed[0] == count) {
                    over.countDown();
                }
            }
        })) {
            over.await();
        }
        return CairnCli.EXIT_OK;
    }

    private int lead(LockSession session, PrintWriter out, PrintWriter err) throws Exception {
        Election election = session.election(name);
        CountDownLatch over = new CountDownLatch(1);
        AtomicReference<SessionLostException> lost = new AtomicReference<>();
        session.onLost(e -> {
            lost.set(e);
            over.countDown();
        });
        long token = election.campaign(value.getBytes(StandardCharsets.UTF_8));
        out.println(line("elected", token, value));
        out.flush();
        over.await();
        err.println("cairn: no longer the leader of " + name + ": " + lost.get().getMessage());
        err.flush();
        return CairnCli.EXIT_NEGATIVE;
    }

    private String line(String what, long token, String shown) {
        if (json) {
            return "{\"name\":" + KvJson.quote(name) + ",\"" + what + "\":" + (token != 0) + ",\"token\":" + token
                    + ",\"value\":" + (shown == null ? "null" : KvJson.quote(shown)) + "}";
        }
        return token == 0 ? name + ": no leader" : name + ": " + what + " " + shown + " token=" + token;
    }
}
