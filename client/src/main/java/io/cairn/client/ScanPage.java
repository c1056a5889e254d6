package io.cairn.client;

import java.util.List;

/**
 * One page of a scan, in key order.
 *
 * @param kvs the pairs of this page
 * @param nextPageToken where the next page starts; empty when the scan is complete. Callers
 *     must not modify it; pass it on with {@link ScanQuery#after}
 */
public record ScanPage(List<KeyValue> kvs, byte[] nextPageToken) {
    public ScanPage {
        kvs = List.copyOf(kvs);
        if (nextPageToken == null) {
            throw new IllegalArgumentException("nextPageToken is required (empty when complete)");
        }
    }

    /** Whether another page follows. */
    public boolean hasMore() {
        return nextPageToken.length > 0;
    }
}
