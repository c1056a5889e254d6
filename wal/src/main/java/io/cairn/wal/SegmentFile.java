package io.cairn.wal;

import io.cairn.common.Invariants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * Names, header and creation of segment files. A segment is named by its sequence number,
 * zero-padded to 20 digits so that name order is log order ({@code 00000000000000000001.wal}),
 * and starts with a header, all integers big-endian:
 *
 * <pre>
 *  0  u32 magic     "CWAL"
 *  4  u32 version   1
 *  8  u64 sequence  the number in the file name
 * 16  u32 crc       CRC32C of bytes 0..15
 * </pre>
 *
 * followed by record frames (see {@link FrameCodec}).
 */
final class SegmentFile {
    static final int HEADER_BYTES = 20;
    static final String SUFFIX = ".wal";
    static final String TEMP_SUFFIX = ".wal.tmp";

    private static final int MAGIC = 0x4357_414C;
    private static final int VERSION = 1;
    private static final Pattern NAME = Pattern.compile("(\\d{20})\\.wal");

    private SegmentFile() {}

    static Path path(Path dir, long sequence) {
        Invariants.check(sequence > 0, "segment sequence must be positive: %s", sequence);
        return dir.resolve(String.format("%020d", sequence) + SUFFIX);
    }

    /** The sequence number of a segment file, or empty for any other file. */
    static OptionalLong sequenceOf(Path file) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        return m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }

    static boolean isTemporary(Path file) {
        return file.getFileName().toString().endsWith(TEMP_SUFFIX);
    }

    /**
     * Creates segment {@code sequence} so that it is never visible under its real name without a
     * durable, complete header: the header is written and synced under a temporary name, then
     * renamed, then the directory is synced so the name survives a crash. Recovery can then
     * treat any segment with a bad header as corrupt, never as torn.
     *
     * @return a handle positioned for frames at {@link #HEADER_BYTES}
     */
    static FileIo.Handle create(FileIo io, Path dir, long sequence) throws IOException {
        Path target = path(dir, sequence);
        Path temporary = dir.resolve(target.getFileName() + ".tmp");
        FileIo.Handle handle = io.create(temporary);
        try {
            handle.write(header(sequence), 0);
            handle.force();
            io.rename(temporary, target);
            io.syncDirectory(dir);
            return handle;
        } catch (IOException | RuntimeException e) {
            handle.close();
            throw e;
        }
    }

    /** Throws unless {@code segment} begins with a valid header for {@code sequence}. */
    static void verifyHeader(Path file, ByteBuffer segment, long sequence) throws WalCorruptionException {
        if (segment.limit() < HEADER_BYTES) {
            throw new WalCorruptionException(file, 0, "segment shorter than its " + HEADER_BYTES + "-byte header");
        }
        if (segment.getInt(16) != crcOf(segment)) {
            throw new WalCorruptionException(file, 0, "segment header checksum mismatch");
        }
        if (segment.getInt(0) != MAGIC || segment.getInt(4) != VERSION) {
            throw new WalCorruptionException(file, 0, String.format(
                    "not a version %d segment: magic %08x version %d", VERSION, segment.getInt(0), segment.getInt(4)));
        }
        if (segment.getLong(8) != sequence) {
            throw new WalCorruptionException(file, 8, "header names sequence " + segment.getLong(8));
        }
    }

    private static ByteBuffer header(long sequence) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.putInt(MAGIC).putInt(VERSION).putLong(sequence);
        header.putInt(crcOf(header));
        return header.flip();
    }

    private static int crcOf(ByteBuffer segment) {
        CRC32C crc = new CRC32C();
        crc.update(segment.array(), segment.arrayOffset(), HEADER_BYTES - 4);
        return (int) crc.getValue();
    }
}
