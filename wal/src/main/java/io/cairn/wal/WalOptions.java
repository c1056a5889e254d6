package io.cairn.wal;

/**
 * Sizes that bound the WAL's files and memory. All are in bytes and at most 1 GiB, which keeps
 * every offset inside a segment within a signed 32-bit int (a segment is at most
 * {@code segmentBytesTarget + queuedBytesMax}).
 *
 * @param segmentBytesTarget a segment is rolled over before a batch would take it past this size;
 *     a segment exceeds it only when one batch alone does not fit in an empty segment
 * @param recordPayloadBytesMax the largest payload {@link Wal#append} accepts
 * @param queuedBytesMax the most encoded bytes that may wait for the writer; an appender blocks
 *     while more would be waiting, and no single batch may encode to more than this
 */
public record WalOptions(int segmentBytesTarget, int recordPayloadBytesMax, int queuedBytesMax) {
    private static final int MIB = 1 << 20;
    private static final int LIMIT_BYTES_MAX = 1 << 30;

    /** 64 MiB segments, 16 MiB payloads, 64 MiB waiting for the disk. */
    public static final WalOptions DEFAULTS = new WalOptions(64 * MIB, 16 * MIB, 64 * MIB);

    public WalOptions {
        requireInRange("segmentBytesTarget", segmentBytesTarget, SegmentFile.HEADER_BYTES + 1);
        requireInRange("recordPayloadBytesMax", recordPayloadBytesMax, 0);
        requireInRange("queuedBytesMax", queuedBytesMax, FrameCodec.frameBytes(recordPayloadBytesMax));
    }

    public WalOptions withSegmentBytesTarget(int bytes) {
        return new WalOptions(bytes, recordPayloadBytesMax, queuedBytesMax);
    }

    public WalOptions withRecordPayloadBytesMax(int bytes) {
        return new WalOptions(segmentBytesTarget, bytes, queuedBytesMax);
    }

    public WalOptions withQueuedBytesMax(int bytes) {
        return new WalOptions(segmentBytesTarget, recordPayloadBytesMax, bytes);
    }

    private static void requireInRange(String name, int value, long min) {
        if (value < min || value > LIMIT_BYTES_MAX) {
            throw new IllegalArgumentException(
                    name + " must be in [" + min + ", " + LIMIT_BYTES_MAX + "]: " + value);
        }
    }
}
