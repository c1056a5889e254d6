package io.cairn.server;

import io.cairn.common.GroupId;
import io.cairn.kv.engine.KvPair;
import io.cairn.kv.engine.PrefixedKvEngine;
import io.cairn.kv.engine.WriteBatch;
import io.cairn.kv.rocks.RocksKvEngine;
import io.cairn.placement.ShardGroups;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node's one storage engine, holding the state of every replica it hosts: replica {@code g}
 * keeps its keys under the prefix {@code 'r'} + {@code g} as 8 big-endian bytes, so a replica's
 * state is one contiguous range, a snapshot is an export of that range and a dropped replica a
 * range deletion. The Raft loop writes what all its groups applied in a round as one batch.
 *
 * <p>A data directory of the layout before this one (a RocksDB per replica in {@code kv/},
 * {@code kv-N/} and {@code meta/}) is migrated when the node starts: each replica's pairs are
 * copied into its range, made durable, and only then is the old directory deleted, so a crash
 * during migration redoes it from the start of that replica.
 */
final class NodeEngine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NodeEngine.class.getName());
    private static final byte REPLICA_TAG = 'r';
    private static final int PREFIX_BYTES = 1 + Long.BYTES;
    private static final int MIGRATION_PAGE_PAIRS = 1_024;
    private static final Pattern OLD_SHARD_DIR = Pattern.compile("kv(?:-(\\d+))?");
    private static final String[] OLD_SIBLING_SUFFIXES = {".restore-tmp", ".restore-old", ".restore-failed"};

    private final RocksKvEngine engine;

    private NodeEngine(RocksKvEngine engine) {
        this.engine = engine;
    }

    /**
     * Opens the engine in {@code dataDir}'s {@code state/}, migrates replicas of the old layout
     * into it and deletes the state of every replica the WAL does not know ({@code groupsWithLog}):
     * what a replica dropped just before a crash left behind.
     */
    static NodeEngine open(DataDir dataDir, Set<GroupId> groupsWithLog) throws IOException {
        RocksKvEngine engine = RocksKvEngine.open(dataDir.stateDir());
        NodeEngine node = new NodeEngine(engine);
        try {
            node.migrateOldLayout(dataDir.root());
            node.deleteOrphans(groupsWithLog);
        } catch (IOException | RuntimeException e) {
            engine.close();
            throw e;
        }
        return node;
    }

    /** A view of {@code group}'s range. */
    PrefixedKvEngine viewOf(GroupId group) {
        return new PrefixedKvEngine(engine, prefixOf(group));
    }

    /** A RocksDB integer property of the node's engine (metrics); -1 once closed. */
    long property(String name) {
        return engine.longProperty(name);
    }

    /** Writes a round's batch of every group that applied entries in it. */
    void write(WriteBatch round) {
        engine.write(round);
    }

    /** The groups with any state in the engine, in id order. */
    List<GroupId> groupsStored() {
        List<GroupId> groups = new ArrayList<>();
        byte[] cursor = {REPLICA_TAG};
        byte[] end = {REPLICA_TAG + 1};
        // One seek per group: each step jumps past the whole range of the group it found.
        while (true) {
            List<KvPair> first = engine.scan(cursor, end, 1);
            if (first.isEmpty()) {
                return groups;
            }
            GroupId group = new GroupId(ByteBuffer.wrap(first.get(0).key(), 1, Long.BYTES).getLong());
            groups.add(group);
            cursor = PrefixedKvEngine.prefixEnd(prefixOf(group));
            if (cursor == null) {
                return groups;
            }
        }
    }

    static byte[] prefixOf(GroupId group) {
        return ByteBuffer.allocate(PREFIX_BYTES).put(REPLICA_TAG).putLong(group.value()).array();
    }

    private void deleteOrphans(Set<GroupId> groupsWithLog) {
        boolean deleted = false;
        for (GroupId group : groupsStored()) {
            if (!groupsWithLog.contains(group)) {
                PrefixedKvEngine view = viewOf(group);
                engine.deleteRange(view.rangeStart(), view.rangeEnd());
                deleted = true;
                LOG.log(System.Logger.Level.INFO, "deleted the state of group {0}, which has no log here"
                        + " (a replica dropped just before the node stopped)", group.value());
            }
        }
        if (deleted) {
            engine.flush();
        }
    }

    private void migrateOldLayout(Path root) throws IOException {
        List<Path> old = new ArrayList<>();
        try (var entries = Files.list(root)) {
            for (Path p : entries.sorted().toList()) {
                if (Files.isDirectory(p) && groupOfOldDir(p.getFileName().toString()) != null) {
                    old.add(p);
                }
            }
        }
        for (Path dir : old) {
            migrate(dir, groupOfOldDir(dir.getFileName().toString()));
        }
    }

    /** The group whose state the old layout kept in a directory of this name, or null. */
    static GroupId groupOfOldDir(String name) {
        if (name.equals("meta")) {
            return ShardGroups.META_GROUP;
        }
        Matcher m = OLD_SHARD_DIR.matcher(name);
        if (!m.matches()) {
            return null;
        }
        return ShardGroups.groupOfShard(m.group(1) == null ? 0 : Integer.parseInt(m.group(1)));
    }

    private void migrate(Path dir, GroupId group) throws IOException {
        PrefixedKvEngine view = viewOf(group);
        // A migration a crash interrupted left part of this range: start it again from empty.
        view.deleteAll();
        long pairs = 0;
        try (RocksKvEngine old = RocksKvEngine.open(dir)) {
            byte[] cursor = new byte[0];
            while (true) {
                List<KvPair> page = old.scan(cursor, null, MIGRATION_PAGE_PAIRS);
                if (page.isEmpty()) {
                    break;
                }
                WriteBatch batch = new WriteBatch();
                for (KvPair pair : page) {
                    batch.put(pair.key(), pair.value());
                }
                view.write(batch);
                pairs += page.size();
                byte[] last = page.get(page.size() - 1).key();
                cursor = java.util.Arrays.copyOf(last, last.length + 1); // the next key after it
            }
        }
        engine.flush();
        SnapshotPacker.deleteTree(dir);
        for (String suffix : OLD_SIBLING_SUFFIXES) {
            SnapshotPacker.deleteTree(dir.resolveSibling(dir.getFileName() + suffix));
        }
        LOG.log(System.Logger.Level.INFO, "migrated {0} pairs of group {1} from {2} into the node''s one engine",
                pairs, group.value(), dir);
    }

    @Override
    public void close() {
        engine.close();
    }
}
