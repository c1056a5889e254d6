package io.cairn.faults;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.Fence;
import io.cairn.client.LockSession;
import io.cairn.client.SessionLock;
import io.cairn.client.SessionLostException;
import io.cairn.client.StaleTokenException;
import io.cairn.client.WriteResult;
import io.cairn.sim.kv.LockOp;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A lock client in a process of its own, which the fault suite freezes with SIGSTOP while it holds
 * the lock ({@link LockWorkload}'s process holder). Over and over it takes {@link LockWorkload#LOCK}
 * through a session (waiting in line at most a TTL), writes the register 1 to 3 times fenced by
 * the grant's token, and releases it. It never pauses by itself and never checks its session
 * before a write: a holder stopped between taking the lock and writing wakes up and writes under
 * a token that the cluster may have handed on meanwhile, which is the case fencing exists for.
 *
 * <p>It tells the suite every step on stdout, one line each, flushed at once, so the suite knows
 * when it holds the lock and can judge its steps with the others':
 * <pre>
 *   B seq kind token value fenced nanos label   a step begins (kind LOCK, UNLOCK or WRITE)
 *   E seq nanos G token | Q | S session | W revision version | F current | R token | N current
 *                                                 it ended: granted, still queued (gave up its place),
 *                                                 session ended, written, fenced out, released, not holder
 *   U seq                                         it ended without an answer (outcome unknown)
 *   L session                                     the client's listener said the session is lost
 *   X message                                     a failure that is not the cluster's answer
 * </pre>
 * Times are {@link System#nanoTime()}, which on Linux is CLOCK_MONOTONIC, one clock for every
 * process of the machine: the suite places these steps among its own threads' steps exactly,
 * without anchoring two clocks to each other. The process stops when its stdin closes.
 *
 * <p>Arguments: {@code ENDPOINTS CLIENT_ID SEED TTL_MS TIMEOUT_MS FENCED [CA CERT KEY]}.
 */
public final class LockHolderProcess {
    private static final int THINK_MAX_MS = 20;
    private static final byte[] LOCK = LockWorkload.LOCK.getBytes(StandardCharsets.UTF_8);
    private static final byte[] REGISTER = LockWorkload.REGISTER.getBytes(StandardCharsets.UTF_8);

    private final CairnClient.Builder clients;
    private final int id;
    private final SplittableRandom random;
    private final Duration ttl;
    private final boolean fenced;
    private final PrintStream out;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private long seq;
    private long writeCounter;
    private CairnClient client;
    private LockSession session;
    private SessionLock handle;

    private LockHolderProcess(CairnClient.Builder clients, int id, long seed, Duration ttl, boolean fenced, PrintStream out) {
        this.clients = clients;
        this.id = id;
        this.random = new SplittableRandom(seed);
        this.ttl = ttl;
        this.fenced = fenced;
        this.out = out;
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 6 && args.length != 9) {
            System.err.println("usage: LockHolderProcess ENDPOINTS CLIENT_ID SEED TTL_MS TIMEOUT_MS FENCED [CA CERT KEY]");
            System.exit(2);
        }
        CairnClient.Builder clients = CairnClient.builder().endpoints(List.of(args[0].split(",")))
                .requestTimeout(Duration.ofMillis(Long.parseLong(args[4])));
        if (args.length == 9) {
            clients.tls(Path.of(args[6]), Path.of(args[7]), Path.of(args[8]));
        }
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
        LockHolderProcess holder = new LockHolderProcess(clients, Integer.parseInt(args[1]), Long.parseLong(args[2]),
                Duration.ofMillis(Long.parseLong(args[3])), Boolean.parseBoolean(args[5]), out);
        Thread stdin = new Thread(() -> {
            holder.awaitEof(System.in);
            holder.stopped.countDown();
        }, "stdin");
        stdin.setDaemon(true);
        stdin.start();
        holder.run();
        out.flush();
        // Keep-alive and gRPC threads are not all daemons; the session is left to the cluster on purpose.
        System.exit(0);
    }

    private void awaitEof(InputStream in) {
        try {
            while (in.read() >= 0) {
                // nothing is ever sent; the suite closes the pipe to stop this process
            }
        } catch (IOException e) {
            // a broken pipe stops the process as EOF does
        }
    }

    private void run() throws InterruptedException {
        try {
            while (!stopped.await(random.nextInt(THINK_MAX_MS + 1), TimeUnit.MILLISECONDS)) {
                turn();
            }
        } catch (RuntimeException e) {
            say("X " + e.toString().replace('\n', ' '));
        } finally {
            drop();
        }
    }

    private void turn() throws InterruptedException {
        if (session == null) {
            client = clients.build();
            try {
                session = client.openSession(ttl);
            } catch (CairnException e) {
                drop();
                return;
            }
            long sessionId = session.id();
            session.onLost(lost -> say("L " + sessionId));
            handle = session.lock(LOCK);
        }
        long token = lock();
        if (token == 0) {
            return;
        }
        int writes = 1 + random.nextInt(3);
        for (int w = 0; w < writes; w++) {
            // A think time while holding: where the suite's SIGSTOP lands, most of the time.
            if (stopped.await(random.nextInt(THINK_MAX_MS + 1), TimeUnit.MILLISECONDS) || !write(token)) {
                break;
            }
        }
        if (session != null) {
            release(token);
        }
    }

    /** The grant's token, or 0 (not granted within a TTL, session lost, or unknown). */
    private long lock() throws InterruptedException {
        long step = begin(LockOp.Kind.LOCK, 0, 0, false,
                LockOp.sessionLock(LockWorkload.LOCK, LockWorkload.REGISTER, id, session.id(), ttl.toMillis()));
        try {
            OptionalLong token = handle.tryLock(ttl);
            if (token.isEmpty()) {
                end(step, "Q");
                return 0;
            }
            end(step, "G " + token.getAsLong());
            return token.getAsLong();
        } catch (SessionLostException e) {
            end(step, "S " + e.sessionId());
            drop();
            return 0;
        } catch (CairnException e) {
            say("U " + step);
            drop();
            return 0;
        }
    }

    /** One write of the register under {@code token}; false when refused or of unknown outcome. */
    private boolean write(long token) {
        long value = LockOp.registerValue(id, token, ++writeCounter);
        long step = begin(LockOp.Kind.WRITE, token, value, fenced,
                LockOp.write(LockWorkload.LOCK, LockWorkload.REGISTER, token, value, fenced));
        byte[] bytes = Long.toString(value).getBytes(StandardCharsets.UTF_8);
        try {
            WriteResult w = fenced ? client.put(REGISTER, bytes, new Fence(LOCK, token)) : client.put(REGISTER, bytes);
            end(step, "W " + w.modRevision() + " " + w.version());
            return true;
        } catch (StaleTokenException e) {
            end(step, "F " + e.currentToken());
            return false;
        } catch (CairnException e) {
            say("U " + step);
            return false;
        }
    }

    private void release(long token) {
        long step = begin(LockOp.Kind.UNLOCK, token, 0, false,
                LockOp.sessionUnlock(LockWorkload.LOCK, LockWorkload.REGISTER, id, session.id(), token));
        try {
            handle.unlock();
            end(step, "R " + token);
        } catch (StaleTokenException e) {
            end(step, "N " + e.currentToken());
        } catch (SessionLostException e) {
            end(step, "N 0");
            drop();
        } catch (CairnException e) {
            say("U " + step);
            drop();
        }
    }

    private long begin(LockOp.Kind kind, long token, long value, boolean fencedWrite, LockOp label) {
        long step = ++seq;
        say("B " + step + " " + kind + " " + token + " " + value + " " + fencedWrite + " " + System.nanoTime() + " " + label);
        return step;
    }

    private void end(long step, String result) {
        say("E " + step + " " + System.nanoTime() + " " + result);
    }

    private void say(String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    /** Forgets the session without ending it: a process that lost its session leaves it to the cluster. */
    private void drop() {
        if (client != null) {
            client.close();
        }
        session = null;
        handle = null;
        client = null;
    }

    /** The arguments that start this process for client {@code id} (without the java command). */
    static List<String> arguments(List<String> endpoints, int id, long seed, Duration ttl, Duration timeout, boolean fenced,
                                  List<String> tls) {
        List<String> args = new java.util.ArrayList<>(Arrays.asList(LockHolderProcess.class.getName(),
                String.join(",", endpoints), Integer.toString(id), Long.toString(seed), Long.toString(ttl.toMillis()),
                Long.toString(timeout.toMillis()), Boolean.toString(fenced)));
        args.addAll(tls);
        return args;
    }
}
