package io.cairn.wal;

import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.common.Invariants;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Encodes and decodes one record frame; all integers big-endian:
 *
 * <pre>
 *  0  u32 bodyLength     bytes in the body (21 + payload)
 *  4  u32 lengthCheck    CRC32C of bytes 0..3
 *  8  u32 checksum       CRC32C of bytes 0..3 followed by the body
 * 12  body:
 *     u32 writeStart     offset in the segment of the first byte of the write this frame was in
 *     u64 groupId
 *     u8  kind
 *     u64 index
 *     payload
 * </pre>
 *
 * <p>{@code lengthCheck} lets a reader trust a length before reading the body, so a damaged
 * length is recognised as such, and a reader searching damaged bytes for the next intact frame
 * rejects almost every wrong offset after 4 bytes of CRC. {@code writeStart} tells recovery
 * whether an intact frame after a damaged one was written by the same write (the write a crash
 * may have torn) or by a later one (so the damaged write had been synced and acknowledged).
 *
 * <p>Instances are not thread-safe: each owns a reusable {@link CRC32C}.
 */
final class FrameCodec {
    static final int HEADER_BYTES = 12;
    static final int BODY_HEADER_BYTES = 4 + 8 + 1 + 8;

    private final CRC32C crc = new CRC32C();

    /** Bytes a record with {@code payloadBytes} of payload takes on disk. */
    static int frameBytes(int payloadBytes) {
        return HEADER_BYTES + BODY_HEADER_BYTES + payloadBytes;
    }

    static int frameBytes(WalRecord record) {
        return frameBytes(record.payload().size());
    }

    /** Appends the frame at {@code out}'s position; {@code out} is array-backed and has room. */
    void encode(WalRecord record, int writeStart, ByteBuffer out) {
        Invariants.check(out.remaining() >= frameBytes(record), "no room for a %s-byte frame", frameBytes(record));
        int start = out.position();
        int bodyLength = BODY_HEADER_BYTES + record.payload().size();
        out.putInt(bodyLength);
        out.putInt(crcOf(out.array(), out.arrayOffset() + start));
        out.putInt(0); // the checksum, filled in once the body is in place
        out.putInt(writeStart);
        out.putLong(record.groupId().value());
        out.put(record.kind());
        out.putLong(record.index());
        record.payload().copyTo(out.array(), out.arrayOffset() + out.position());
        out.position(out.position() + record.payload().size());
        out.putInt(start + 8, checksumOf(out.array(), out.arrayOffset() + start, bodyLength));
    }

    /**
     * Reads the frame starting at {@code offset} of the array-backed {@code segment}, whose bytes
     * up to {@code limit} are the file's content.
     */
    Decoded decode(ByteBuffer segment, int offset, int limit) {
        Invariants.check(offset >= 0 && offset < limit, "offset %s outside [0, %s)", offset, limit);
        if (limit - offset < HEADER_BYTES) {
            return new Damage("incomplete frame header", limit);
        }
        byte[] array = segment.array();
        int base = segment.arrayOffset();
        int bodyLength = segment.getInt(offset);
        if (segment.getInt(offset + 4) != crcOf(array, base + offset)) {
            return new Damage("length check mismatch", offset + 1);
        }
        if (bodyLength < BODY_HEADER_BYTES) {
            return new Damage("length " + bodyLength + " below the minimum", offset + 1);
        }
        long end = (long) offset + HEADER_BYTES + bodyLength;
        if (end > limit) {
            return new Damage("frame of " + bodyLength + " bytes extends past the end of the file", limit);
        }
        if (segment.getInt(offset + 8) != checksumOf(array, base + offset, bodyLength)) {
            return new Damage("checksum mismatch", (int) end);
        }
        return frameAt(segment, offset, (int) end);
    }

    private Decoded frameAt(ByteBuffer segment, int offset, int end) {
        int body = offset + HEADER_BYTES;
        int writeStart = segment.getInt(body);
        // A write starts at or before each of its frames; anything else is not a frame we wrote.
        if (writeStart < SegmentFile.HEADER_BYTES || writeStart > offset) {
            return new Damage("write start " + writeStart + " outside the segment before the frame", end);
        }
        long groupId = segment.getLong(body + 4);
        long index = segment.getLong(body + 13);
        if (groupId < 0 || index < 0) {
            return new Damage("negative group id " + groupId + " or index " + index, end);
        }
        int payloadStart = body + BODY_HEADER_BYTES;
        WalRecord record = new WalRecord(
                new GroupId(groupId),
                segment.get(body + 12),
                index,
                Bytes.copyOf(segment.array(), segment.arrayOffset() + payloadStart, end - payloadStart));
        return new Frame(offset, end, writeStart, record);
    }

    private int crcOf(byte[] array, int lengthAt) {
        crc.reset();
        crc.update(array, lengthAt, 4);
        return (int) crc.getValue();
    }

    private int checksumOf(byte[] array, int frameAt, int bodyLength) {
        crc.reset();
        crc.update(array, frameAt, 4);
        crc.update(array, frameAt + HEADER_BYTES, bodyLength);
        return (int) crc.getValue();
    }

    /** The outcome of reading at one offset. */
    sealed interface Decoded permits Frame, Damage {}

    /** An intact frame occupying [offset, end). */
    record Frame(int offset, int end, int writeStart, WalRecord record) implements Decoded {}

    /**
     * No intact frame at the offset. {@code resumeAt} is the first offset where an intact frame
     * could still begin: the end of this frame when its length was verified, the next byte when
     * it was not, the end of the file when the frame runs past it.
     */
    record Damage(String reason, int resumeAt) implements Decoded {}
}
