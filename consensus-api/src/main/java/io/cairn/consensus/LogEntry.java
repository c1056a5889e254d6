package io.cairn.consensus;

import io.cairn.common.Bytes;

/**
 * One entry of a replicated log. {@code index} starts at 1; index 0 with term 0 is the empty
 * log's sentinel. An entry of type {@link EntryType#NORMAL} with empty data is the no-op a new
 * leader appends; {@link EntryType#CONFIG} carries an encoded {@link ConfState} (the whole
 * target configuration, never a delta, so a node that joins late can apply it without history).
 */
public record LogEntry(long index, long term, EntryType type, Bytes data) {
    /** Bytes an entry costs beyond its payload, used for batch and memory limits. */
    public static final int OVERHEAD_BYTES = 24;

    public LogEntry {
        if (index <= 0) {
            throw new IllegalArgumentException("entry index must be positive: " + index);
        }
        if (term <= 0) {
            throw new IllegalArgumentException("entry term must be positive: " + term);
        }
        if (type == null || data == null) {
            throw new IllegalArgumentException("entry type and data are required");
        }
    }

    public static LogEntry normal(long index, long term, Bytes data) {
        return new LogEntry(index, term, EntryType.NORMAL, data);
    }

    public long sizeBytes() {
        return OVERHEAD_BYTES + data.size();
    }

    public EntryId id() {
        return new EntryId(term, index);
    }

    @Override
    public String toString() {
        return switch (type) {
            case NORMAL -> term + "/" + index + (data.isEmpty() ? " noop" : " " + data);
            case CONFIG -> term + "/" + index + " conf " + ConfState.decode(data);
        };
    }
}
