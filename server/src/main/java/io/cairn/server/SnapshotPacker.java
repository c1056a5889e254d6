package io.cairn.server;

import io.cairn.common.Bytes;
import io.cairn.kv.state.KvStateMachine;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Packs a state-machine checkpoint directory into the opaque bytes the consensus core ships to
 * followers, and back. Format: magic, file count, then per file (name, length, bytes), and a
 * CRC32C of everything before it, so a damaged transfer is refused before anything is replaced.
 * The whole image is held in memory: fine for the snapshots this issue targets (tens of MiB).
 */
public final class SnapshotPacker {
    private static final int MAGIC = 0x43534E50; // "CSNP"

    private SnapshotPacker() {}

    public static Bytes pack(Path dir, List<Path> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeInt(files.size());
        for (Path f : files) {
            byte[] name = f.toString().getBytes(StandardCharsets.UTF_8);
            byte[] content = Files.readAllBytes(dir.resolve(f));
            out.writeShort(name.length);
            out.write(name);
            out.writeLong(content.length);
            out.write(content);
        }
        out.flush();
        CRC32C crc = new CRC32C();
        byte[] body = bytes.toByteArray();
        crc.update(body);
        out.writeInt((int) crc.getValue());
        out.flush();
        return Bytes.wrap(bytes.toByteArray());
    }

    /**
     * Replaces the state machine's content with a packed image: unpacked into a fresh directory
     * under {@code scratchDir}, restored, and the directory removed whatever happens.
     */
    public static void restore(Bytes packed, KvStateMachine stateMachine, Path scratchDir) throws IOException {
        Path dir = scratchDir.resolve("restore-" + System.nanoTime());
        try {
            unpack(packed, dir);
            stateMachine.restore(dir);
        } finally {
            deleteTree(dir);
        }
    }

    /** Deletes a directory and everything under it; nothing if it does not exist. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Writes the packed files into {@code dir} (created; must not exist). */
    public static void unpack(Bytes packed, Path dir) throws IOException {
        byte[] all = packed.toArray();
        if (all.length < 12) {
            throw new IOException("snapshot image is truncated (" + all.length + " bytes)");
        }
        CRC32C crc = new CRC32C();
        crc.update(all, 0, all.length - 4);
        ByteBuffer buf = ByteBuffer.wrap(all);
        if (buf.getInt(all.length - 4) != (int) crc.getValue()) {
            throw new IOException("snapshot image fails its CRC32C check");
        }
        if (buf.getInt() != MAGIC) {
            throw new IOException("snapshot image has a bad magic number");
        }
        int count = buf.getInt();
        Files.createDirectories(dir);
        for (int i = 0; i < count; i++) {
            byte[] name = new byte[buf.getShort()];
            buf.get(name);
            Path target = dir.resolve(new String(name, StandardCharsets.UTF_8)).normalize();
            if (!target.startsWith(dir)) {
                throw new IOException("snapshot image names a file outside its directory: " + target);
            }
            byte[] content = new byte[(int) buf.getLong()];
            buf.get(content);
            Files.createDirectories(target.getParent());
            Files.write(target, content);
        }
    }
}
