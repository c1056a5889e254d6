package io.cairn.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.Bytes;
import io.cairn.common.NodeId;
import io.cairn.consensus.LogEntry;
import io.cairn.raft.RaftMessage.AppendEntries;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EarlyAppendsTest {
    /** A one-entry append after {@code prevIndex} carrying {@code dataBytes}. */
    private static AppendEntries append(long prevIndex, int dataBytes) {
        LogEntry e = LogEntry.normal(prevIndex + 1, 1, Bytes.wrap(new byte[dataBytes]));
        return new AppendEntries(NodeId.of(1), NodeId.of(2), 1, prevIndex, 1, List.of(e), 0);
    }

    private static List<Long> takeAll(EarlyAppends kept, long lastIndex) {
        List<Long> taken = new ArrayList<>();
        AppendEntries a;
        while ((a = kept.takeReachable(lastIndex)) != null) {
            taken.add(a.prevIndex());
            lastIndex = Math.max(lastIndex, a.prevIndex() + a.entries().size());
        }
        return taken;
    }

    @Test
    void beyondItsCountTheAppendFarthestFromTheGapGoes() {
        EarlyAppends kept = new EarlyAppends(2, Long.MAX_VALUE);
        kept.keep(append(9, 10));
        kept.keep(append(7, 10));
        kept.keep(append(8, 10));

        assertThat(kept.takeReachable(5)).as("nothing is reachable past a gap").isNull();
        assertThat(takeAll(kept, 7)).containsExactly(7L, 8L);
    }

    @Test
    void beyondItsBytesTheAppendFarthestFromTheGapGoesButOneAlwaysStays() {
        long oneBytes = append(0, 100).entries().get(0).sizeBytes();
        EarlyAppends kept = new EarlyAppends(100, 2 * oneBytes);
        kept.keep(append(5, 100));
        kept.keep(append(6, 100));
        kept.keep(append(4, 100));
        assertThat(takeAll(kept, 4)).containsExactly(4L, 5L);

        EarlyAppends small = new EarlyAppends(100, 1);
        small.keep(append(3, 1_000));
        assertThat(takeAll(small, 3)).as("one append fits whatever its size").containsExactly(3L);
    }

    @Test
    void aRepeatedAppendReplacesTheKeptOneAndClearEmpties() {
        EarlyAppends kept = new EarlyAppends(2, Long.MAX_VALUE);
        kept.keep(append(4, 10));
        kept.keep(append(4, 10));
        kept.keep(append(5, 10));
        assertThat(takeAll(kept, 4)).containsExactly(4L, 5L);

        kept.keep(append(6, 10));
        kept.clear();
        assertThat(kept.takeReachable(100)).isNull();
    }
}
