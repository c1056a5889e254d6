package io.cairn.raft.golden;

import io.cairn.common.Bytes;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.EntryType;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The host's replicated state machine: the list of applied commands plus the configuration
 * the applied config entries describe. Its snapshot image is the commands joined by ','.
 *
 * <p>It checks what a host can check about the engine's output: committed entries arrive
 * exactly once and in index order, and a snapshot only moves it forward.
 */
final class StateMachine {
    /** The state after an applied index, kept so the host can snapshot at any applied index. */
    private record Image(int valueCount, ConfState conf) {}

    private final List<String> values = new ArrayList<>();
    private final TreeMap<Long, Image> images = new TreeMap<>();
    private long applied;

    StateMachine(Snapshot initial) {
        restore(initial);
    }

    long applied() {
        return applied;
    }

    List<String> values() {
        return List.copyOf(values);
    }

    ConfState conf() {
        return images.lastEntry().getValue().conf();
    }

    void apply(LogEntry e) {
        if (e.index() != applied + 1) {
            throw new AssertionError("applied " + e + " after index " + applied + ": entries must apply in order, once");
        }
        ConfState conf = conf();
        if (e.type() == EntryType.CONFIG) {
            conf = ConfState.decode(e.data());
        } else if (!e.data().isEmpty()) {
            values.add(e.data().toUtf8());
        }
        applied = e.index();
        images.put(applied, new Image(values.size(), conf));
    }

    /** Replaces the state with a snapshot's image. */
    void restore(Snapshot s) {
        if (s.meta().index() < applied) {
            throw new AssertionError("snapshot at " + s.meta().index() + " would move the state machine back from " + applied);
        }
        values.clear();
        String image = s.data().toUtf8();
        if (!image.isEmpty()) {
            values.addAll(List.of(image.split(",")));
        }
        images.clear();
        applied = s.meta().index();
        images.put(applied, new Image(values.size(), s.meta().conf()));
    }

    /** The snapshot image as of {@code index}, which must be applied and not before the last restore. */
    Bytes imageAt(long index) {
        return Bytes.utf8(String.join(",", values.subList(0, imageOf(index).valueCount())));
    }

    ConfState confAt(long index) {
        return imageOf(index).conf();
    }

    private Image imageOf(long index) {
        Map.Entry<Long, Image> e = images.floorEntry(index);
        if (index > applied || e == null) {
            throw new ScriptError("index " + index + " is not in the applied range ("
                    + images.firstKey() + ", " + applied + "]");
        }
        return e.getValue();
    }
}
