package io.cairn.raft;

import io.cairn.consensus.LogEntry;
import io.cairn.raft.RaftMessage.AppendEntries;
import java.util.Map;
import java.util.TreeMap;

/**
 * A follower's appends that arrived ahead of a gap in its log, by their previous index, bounded
 * by count and by bytes; when full, the append farthest from the gap goes first (it is the last
 * that could be taken).
 */
final class EarlyAppends {
    private final TreeMap<Long, AppendEntries> byPrevIndex = new TreeMap<>();
    private final int countMax;
    private final long bytesMax;
    private long bytes;

    /** @param countMax appends kept at most; @param bytesMax entry bytes kept at most (one append always fits) */
    EarlyAppends(int countMax, long bytesMax) {
        this.countMax = countMax;
        this.bytesMax = bytesMax;
    }

    void keep(AppendEntries a) {
        AppendEntries replaced = byPrevIndex.put(a.prevIndex(), a);
        if (replaced != null) {
            bytes -= sizeBytes(replaced);
        }
        bytes += sizeBytes(a);
        while (byPrevIndex.size() > 1 && (byPrevIndex.size() > countMax || bytes > bytesMax)) {
            bytes -= sizeBytes(byPrevIndex.pollLastEntry().getValue());
        }
    }

    /** The kept append nearest to the gap if its previous index is at or below {@code lastIndex}, removed; else null. */
    AppendEntries takeReachable(long lastIndex) {
        Map.Entry<Long, AppendEntries> first = byPrevIndex.firstEntry();
        if (first == null || first.getKey() > lastIndex) {
            return null;
        }
        byPrevIndex.pollFirstEntry();
        bytes -= sizeBytes(first.getValue());
        return first.getValue();
    }

    void clear() {
        byPrevIndex.clear();
        bytes = 0;
    }

    private static long sizeBytes(AppendEntries a) {
        long sum = 0;
        for (LogEntry e : a.entries()) {
            sum += e.sizeBytes();
        }
        return sum;
    }
}
