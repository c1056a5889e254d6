package io.cairn.faults;

import io.cairn.api.proto.FaultControlGrpc;
import io.cairn.api.proto.Faults;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Cairn nodes as real processes (separate JVMs running the CLI's {@code server} command with
 * {@code --fault-injection}) on 127.0.0.1. Each can be killed (SIGKILL: nothing flushed, no hook
 * run), paused and resumed (SIGSTOP / SIGCONT: the process, its timers and sockets freeze), and
 * given faults through its {@code FaultControl} service. {@link #close} stops every process.
 */
final class Nodes implements AutoCloseable {
    private final Path dir;
    private final List<String> extraArgs;
    private final TreeMap<Integer, String> addresses = new TreeMap<>();
    private final TreeMap<Integer, Process> processes = new TreeMap<>();
    private final TreeMap<Integer, Boolean> paused = new TreeMap<>();
    private final TreeMap<Integer, ManagedChannel> controls = new TreeMap<>();
    private final int founders;
    private final SecureSetup security;

    Nodes(Path dir, int count, List<String> extraArgs, SecureSetup security) throws IOException {
        this.dir = dir;
        this.extraArgs = List.copyOf(extraArgs);
        this.security = security;
        this.founders = count;
        for (int id = 1; id <= count; id++) {
            addresses.put(id, "127.0.0.1:" + freePort());
        }
    }

    private static int freePort() throws IOException {
        return io.cairn.server.LocalPorts.free();
    }

    List<Integer> ids() {
        return new ArrayList<>(addresses.keySet());
    }

    List<String> endpoints() {
        return new ArrayList<>(addresses.values());
    }

    String address(int id) {
        return addresses.get(id);
    }

    Integer idOf(String address) {
        return addresses.entrySet().stream().filter(e -> e.getValue().equals(address))
                .map(java.util.Map.Entry::getKey).findFirst().orElse(null);
    }

    Path logFile(int id) {
        return dir.resolve("n" + id + ".log");
    }

    private String initialCluster() {
        StringBuilder sb = new StringBuilder();
        addresses.headMap(founders, true).forEach((id, a) ->
                sb.append(sb.length() == 0 ? "" : ",").append('n').append(id).append('=').append(a));
        return sb.toString();
    }

    /** The next id no node has had. */
    int nextId() {
        return addresses.lastKey() + 1;
    }

    /**
     * Starts a new node that joins with {@code --join}, given {@code args} in place of the
     * cluster's extra arguments (a misconfigured node gets other ones).
     */
    void startJoiner(int id, List<String> args) throws IOException {
        if (addresses.containsKey(id)) {
            throw new IllegalArgumentException("n" + id + " exists");
        }
        addresses.put(id, "127.0.0.1:" + freePort());
        List<String> withJoin = new ArrayList<>(args);
        withJoin.add("--join");
        start(id, withJoin);
    }

    void startAll() throws IOException {
        for (int id : addresses.keySet()) {
            start(id);
        }
    }

    void start(int id) throws IOException {
        start(id, id > founders ? withJoin(extraArgs) : extraArgs);
    }

    private static List<String> withJoin(List<String> args) {
        List<String> out = new ArrayList<>(args);
        out.add("--join");
        return out;
    }

    private void start(int id, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                "io.cairn.cli.CairnCli", "server",
                "--node-id", "n" + id,
                "--listen", addresses.get(id),
                "--data-dir", dir.resolve("n" + id).toString(),
                "--initial-cluster", initialCluster(),
                // Ports here are drawn at random: one node's gRPC port may be another's + 1000.
                "--http-listen", "off",
                "--fault-injection"));
        cmd.addAll(security.serverArgs(id));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(id).toFile()));
        processes.put(id, pb.start());
        paused.put(id, false);
    }

    /** SIGKILL, as a power cut would leave the process (the OS keeps what it was written). */
    void kill(int id) throws InterruptedException {
        Process p = processes.remove(id);
        if (p != null) {
            if (Boolean.TRUE.equals(paused.get(id))) {
                signal(p, "CONT"); // a stopped process dies on SIGKILL too, but be sure it is reaped
            }
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        paused.put(id, false);
        ManagedChannel c = controls.remove(id);
        if (c != null) {
            c.shutdownNow();
        }
    }

    void pause(int id) throws IOException, InterruptedException {
        Process p = processes.get(id);
        if (p != null && p.isAlive()) {
            signal(p, "STOP");
            paused.put(id, true);
        }
    }

    void resume(int id) throws IOException, InterruptedException {
        Process p = processes.get(id);
        if (p != null && Boolean.TRUE.equals(paused.get(id))) {
            signal(p, "CONT");
        }
        paused.put(id, false);
    }

    static void signal(Process p, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + p.pid() + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill -" + signal, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending SIG" + signal, e);
        }
    }

    boolean isRunning(int id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    boolean isPaused(int id) {
        return Boolean.TRUE.equals(paused.get(id));
    }

    /** The exit code of a node that stopped by itself, or null while it runs (or was never started). */
    Integer exitCode(int id) {
        Process p = processes.get(id);
        return p == null || p.isAlive() ? null : p.exitValue();
    }

    /** Forgets a node that exited by itself, so that {@link #start} can run it again. */
    void reap(int id) {
        Process p = processes.get(id);
        if (p != null && !p.isAlive()) {
            processes.remove(id);
            ManagedChannel c = controls.remove(id);
            if (c != null) {
                c.shutdownNow();
            }
        }
    }

    /** Replaces every injected fault of a running, unpaused node. */
    void setFaults(int id, Faults faults) {
        if (!isRunning(id) || isPaused(id)) {
            throw new IllegalStateException("n" + id + " is not running: its faults cannot be set");
        }
        ManagedChannel channel = controls.computeIfAbsent(id, i -> security.channel(addresses.get(i)));
        // A node just started may not listen yet: retry while its process runs, up to a deadline.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                FaultControlGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).set(faults);
                return;
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || !isRunning(id) || System.nanoTime() - deadline > 0) {
                    throw e;
                }
            }
            try {
                TimeUnit.MILLISECONDS.sleep(100); // poll interval while the node starts
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while setting the faults of n" + id, e);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (int id : new ArrayList<>(processes.keySet())) {
            kill(id);
        }
        controls.values().forEach(ManagedChannel::shutdownNow);
        controls.clear();
    }
}
