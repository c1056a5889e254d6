package io.cairn.wal;

import java.nio.file.Path;
import java.util.Map;

/**
 * What cleanup needs to know about a segment: for each group with records in it, the highest
 * record index there. The segment may go once each group's release point passes that index.
 */
record SegmentSummary(long sequence, Path path, Map<Long, Long> maxIndexByGroup) {
    SegmentSummary {
        maxIndexByGroup = Map.copyOf(maxIndexByGroup);
    }

    /** Whether every record here has an index below its group's first needed index. */
    boolean isReleased(Map<Long, Long> firstNeededIndexByGroup) {
        for (Map.Entry<Long, Long> group : maxIndexByGroup.entrySet()) {
            long firstNeeded = firstNeededIndexByGroup.getOrDefault(group.getKey(), 0L);
            if (group.getValue() >= firstNeeded) {
                return false;
            }
        }
        return true;
    }
}
