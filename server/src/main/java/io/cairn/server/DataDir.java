package io.cairn.server;

import io.cairn.common.NodeId;
import io.cairn.placement.Admission;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

/**
 * A node's data directory: {@code cairn.properties} names the cluster and node it belongs to,
 * {@code LOCK} keeps a second process out, {@code log/} holds the WAL and Raft snapshots, and
 * {@code state/} the one RocksDB that holds every replica's state. A directory of another
 * cluster or node is refused.
 */
public final class DataDir implements AutoCloseable {
    private static final String IDENTITY = "cairn.properties";

    private final Path root;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final boolean fresh;
    private boolean discard;

    private DataDir(Path root, FileChannel lockChannel, FileLock lock, boolean fresh) {
        this.root = root;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.fresh = fresh;
    }

    /** Opens or initialises the directory for this node of this cluster. */
    public static DataDir open(Path root, String clusterId, NodeId node, Admission.Params params) throws IOException {
        Files.createDirectories(root);
        FileChannel ch = FileChannel.open(root.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new IllegalStateException("data dir " + root + " is in use by another Cairn process");
        }
        try {
            boolean fresh = checkIdentity(root, clusterId, node, params);
            return new DataDir(root, ch, lock, fresh);
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    private static boolean checkIdentity(Path root, String clusterId, NodeId node, Admission.Params params)
            throws IOException {
        Path file = root.resolve(IDENTITY);
        if (!Files.exists(file)) {
            try (var entries = Files.list(root)) {
                if (entries.anyMatch(p -> !p.getFileName().toString().equals("LOCK"))) {
                    throw new IllegalStateException("data dir " + root + " is not empty and has no " + IDENTITY
                            + ": it does not belong to Cairn; use an empty directory");
                }
            }
            Properties p = new Properties();
            p.setProperty("cluster", clusterId);
            p.setProperty("node", node.toString());
            // Kept so a later start with other settings is told which one differs.
            p.setProperty("shards", Integer.toString(params.shardCount()));
            p.setProperty("founders", params.foundersSpec());
            Path tmp = root.resolve(IDENTITY + ".tmp");
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, "Cairn node identity; do not edit");
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return true;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        String cluster = p.getProperty("cluster");
        String name = p.getProperty("node");
        if (cluster == null || name == null) {
            throw new IllegalStateException(file + " is damaged: it lacks the cluster or node name");
        }
        if (!cluster.equals(clusterId)) {
            String what = "(" + cluster + "), not the one given by --initial-cluster and --shards (" + clusterId + ")";
            if (p.getProperty("shards") != null && p.getProperty("founders") != null) {
                Admission.Params had = new Admission.Params(Integer.parseInt(p.getProperty("shards")),
                        ClusterSpec.parse(p.getProperty("founders")).addresses(), params.formatVersion());
                what = Admission.paramsDiffer(had, params).orElse(what);
            }
            throw new IllegalStateException("data dir " + root + " belongs to another cluster: " + what
                    + ". Start with the settings it was created with, or give an empty --data-dir to create a"
                    + " new cluster (bin/cairn dev: --fresh wipes its data)");
        }
        if (!name.equals(node.toString())) {
            throw new IllegalStateException("data dir " + root + " belongs to node " + name + ", not " + node);
        }
        return false;
    }

    public Path root() {
        return root;
    }

    public Path logDir() {
        return root.resolve("log");
    }

    /** The node's one storage engine (see {@link NodeEngine}). */
    public Path stateDir() {
        return root.resolve("state");
    }

    public Path scratchDir() {
        return root.resolve("scratch");
    }

    /** Whether the directory was initialised just now. */
    public boolean fresh() {
        return fresh;
    }

    /** Whether {@code root} already holds a node's identity (it was initialised before). */
    public static boolean hasIdentity(Path root) {
        return Files.exists(root.resolve(IDENTITY));
    }

    /**
     * Marks a directory initialised by this start to be emptied again when closed: a node that
     * failed to start leaves no identity behind, so the operator can correct the command and run
     * it again on the same directory. Does nothing to a directory that existed before.
     */
    public void discardOnClose() {
        discard = fresh;
    }

    @Override
    public void close() throws IOException {
        try {
            if (discard) {
                try (var entries = Files.list(root)) {
                    for (Path p : entries.toList()) {
                        if (!p.getFileName().toString().equals("LOCK")) {
                            deleteTree(p);
                        }
                    }
                }
            }
        } finally {
            lock.release();
            lockChannel.close();
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (var entries = Files.list(p)) {
                for (Path c : entries.toList()) {
                    deleteTree(c);
                }
            }
        }
        Files.delete(p);
    }
}
