package io.cairn.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Cairn nodes as real processes (separate JVMs) on 127.0.0.1, started from this JVM's class
 * path through the CLI's {@code server} command. {@link #kill} is SIGKILL: no shutdown hook runs,
 * nothing is flushed. {@link #close} stops every process the cluster started.
 */
final class LocalCluster implements AutoCloseable {
    private final Path dir;
    private final TreeMap<Integer, String> addresses = new TreeMap<>();
    private final TreeMap<Integer, Process> processes = new TreeMap<>();
    private final List<String> extraArgs;
    private final int founders;

    LocalCluster(Path dir, int nodes, List<String> extraArgs) throws IOException {
        this.dir = dir;
        this.extraArgs = extraArgs;
        this.founders = nodes;
        for (int i = 1; i <= nodes; i++) {
            addresses.put(i, "127.0.0.1:" + freePort());
        }
    }

    private static int freePort() throws IOException {
        return io.cairn.server.LocalPorts.free();
    }

    /** The founders: the nodes the cluster was created with (joiners are not in it). */
    String initialCluster() {
        StringBuilder sb = new StringBuilder();
        addresses.headMap(founders, true).forEach((id, a) ->
                sb.append(sb.length() == 0 ? "" : ",").append("n").append(id).append('=').append(a));
        return sb.toString();
    }

    List<String> endpoints() {
        return new ArrayList<>(addresses.values());
    }

    String address(int id) {
        return addresses.get(id);
    }

    int idOf(String address) {
        return addresses.entrySet().stream().filter(e -> e.getValue().equals(address)).findFirst().orElseThrow().getKey();
    }

    Path logFile(int id) {
        return dir.resolve("n" + id + ".log");
    }

    String log(int id) throws IOException {
        return Files.exists(logFile(id)) ? Files.readString(logFile(id), StandardCharsets.UTF_8) : "";
    }

    void startAll() throws IOException {
        for (int id : addresses.keySet()) {
            start(id);
        }
    }

    /** Starts a new node that joins the running cluster with {@code --join}. */
    void startJoiner(int id) throws IOException {
        if (!addresses.containsKey(id)) {
            addresses.put(id, "127.0.0.1:" + freePort());
        }
        start(id);
    }

    void start(int id) throws IOException {
        start(id, extraArgs);
    }

    /** Starts node {@code id} with {@code args} instead of the cluster's extra arguments (a misconfigured node). */
    void start(int id, List<String> args) throws IOException {
        if (!addresses.containsKey(id)) {
            addresses.put(id, "127.0.0.1:" + freePort());
        }
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"),
                "io.cairn.cli.CairnCli", "server",
                "--node-id", "n" + id,
                "--listen", addresses.get(id),
                "--data-dir", dir.resolve("n" + id).toString(),
                "--initial-cluster", initialCluster()));
        if (!args.contains("--http-listen")) {
            // Ports here are drawn at random: one node's gRPC port may be another's + 1000.
            cmd.addAll(List.of("--http-listen", "off"));
        }
        cmd.addAll(args);
        if (id > founders) {
            cmd.add("--join");
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(id).toFile()));
        processes.put(id, pb.start());
    }

    /** SIGKILL, as a power cut would: the process gets no chance to flush or say goodbye. */
    void kill(int id) throws InterruptedException {
        Process p = processes.remove(id);
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Waits for node {@code id}'s process to exit by itself; its exit code, or -1 if it still runs. */
    int awaitExit(int id, long millis) throws InterruptedException {
        Process p = processes.get(id);
        if (p == null || !p.waitFor(millis, TimeUnit.MILLISECONDS)) {
            return -1;
        }
        processes.remove(id);
        return p.exitValue();
    }

    Path dataDir(int id) {
        return dir.resolve("n" + id);
    }

    boolean isRunning(int id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        for (int id : new ArrayList<>(processes.keySet())) {
            kill(id);
        }
    }
}
