package io.cairn.kv.state;

import io.cairn.common.Bytes;
import java.util.List;
import java.util.Optional;

/**
 * One page of a scan: live keys in ascending order, and the key to resume at. A page may hold
 * fewer entries than asked for while more remain (a scan skips expired keys only up to a bound),
 * so only an empty {@code nextKey} means the range is exhausted.
 */
public record ScanPage(List<KeyValue> entries, Optional<Bytes> nextKey) {
    public ScanPage {
        entries = List.copyOf(entries);
        if (nextKey == null) {
            throw new IllegalArgumentException("nextKey must be an Optional, empty at the end");
        }
    }

    public boolean isLast() {
        return nextKey.isEmpty();
    }
}
