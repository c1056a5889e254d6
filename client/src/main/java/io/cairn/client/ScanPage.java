package io.cairn.client;

import java.util.ArrayList;
import java.util.Arrays;
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

    /**
     * One page from the pages of several shards for the same range and token. Keys below every
     * unfinished shard's next token are complete, so the page holds the first {@code limit} of
     * them (all of them when {@code limit} is 0, the server's default) and resumes at the next of
     * them, or at the smallest token.
     */
    static ScanPage merge(List<ScanPage> pages, int limit) {
        byte[] bound = null;
        for (ScanPage p : pages) {
            if (p.hasMore() && (bound == null || Arrays.compareUnsigned(p.nextPageToken(), bound) < 0)) {
                bound = p.nextPageToken();
            }
        }
        List<KeyValue> complete = new ArrayList<>();
        for (ScanPage p : pages) {
            for (KeyValue kv : p.kvs()) {
                if (bound == null || Arrays.compareUnsigned(kv.key(), bound) < 0) {
                    complete.add(kv);
                }
            }
        }
        complete.sort((a, b) -> Arrays.compareUnsigned(a.key(), b.key()));
        if (limit > 0 && complete.size() > limit) {
            return new ScanPage(complete.subList(0, limit), complete.get(limit).key());
        }
        return new ScanPage(complete, bound == null ? new byte[0] : bound);
    }
}
