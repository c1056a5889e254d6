package io.cairn.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Which keys a scan returns, one page at a time. Build with {@link #all()}, {@link #prefix} or
 * {@link #range}, then narrow with the {@code with*} methods; page on with {@link #after}.
 *
 * <pre>{@code
 * ScanQuery q = ScanQuery.prefix("user/").withLimit(100);
 * for (ScanPage page = client.scan(q); ; page = client.scan(q = q.after(page))) {
 *     page.kvs().forEach(...);
 *     if (!page.hasMore()) break;
 * }
 * }</pre>
 *
 * <p>Arrays are copied in and never handed out, so a query is immutable.
 */
public final class ScanQuery {
    private static final byte[] EMPTY = new byte[0];

    /** Whether {@link #from()} is a prefix or the inclusive start of a range. */
    enum Kind { PREFIX, RANGE }

    private final Kind kind;
    private final byte[] from;
    private final byte[] toExclusive;
    private final int limit;
    private final byte[] pageToken;
    private final Consistency consistency;

    private ScanQuery(Kind kind, byte[] from, byte[] toExclusive, int limit, byte[] pageToken,
                      Consistency consistency) {
        this.kind = kind;
        this.from = from;
        this.toExclusive = toExclusive;
        this.limit = limit;
        this.pageToken = pageToken;
        this.consistency = consistency;
    }

    /** Every key, in byte order. */
    public static ScanQuery all() {
        return new ScanQuery(Kind.RANGE, EMPTY, EMPTY, 0, EMPTY, Consistency.LINEARIZABLE);
    }

    /** Keys that start with {@code prefix}; an empty prefix means every key. */
    public static ScanQuery prefix(byte[] prefix) {
        return new ScanQuery(Kind.PREFIX, prefix.clone(), EMPTY, 0, EMPTY, Consistency.LINEARIZABLE);
    }

    public static ScanQuery prefix(String prefix) {
        return prefix(prefix.getBytes(StandardCharsets.UTF_8));
    }

    /** Keys in {@code [from, toExclusive)} in byte order; an empty {@code toExclusive} has no upper bound. */
    public static ScanQuery range(byte[] from, byte[] toExclusive) {
        if (toExclusive.length > 0 && Arrays.compareUnsigned(from, toExclusive) > 0) {
            throw new IllegalArgumentException("scan range start is after its end");
        }
        return new ScanQuery(Kind.RANGE, from.clone(), toExclusive.clone(), 0, EMPTY, Consistency.LINEARIZABLE);
    }

    public static ScanQuery range(String from, String toExclusive) {
        return range(from.getBytes(StandardCharsets.UTF_8), toExclusive.getBytes(StandardCharsets.UTF_8));
    }

    /** Keys per page, at least 1; 0 (the default) lets the server choose. */
    public ScanQuery withLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("scan limit must not be negative: " + limit);
        }
        return new ScanQuery(kind, from, toExclusive, limit, pageToken, consistency);
    }

    public ScanQuery withConsistency(Consistency consistency) {
        if (consistency == null) {
            throw new IllegalArgumentException("consistency is required");
        }
        return new ScanQuery(kind, from, toExclusive, limit, pageToken, consistency);
    }

    /** Continues from a page token; an empty one starts at the beginning. */
    public ScanQuery withPageToken(byte[] token) {
        return new ScanQuery(kind, from, toExclusive, limit, token.clone(), consistency);
    }

    /** The query for the page after {@code page}. */
    public ScanQuery after(ScanPage page) {
        if (!page.hasMore()) {
            throw new IllegalArgumentException("the scan is complete: there is no page after the last one");
        }
        return withPageToken(page.nextPageToken());
    }

    Kind kind() {
        return kind;
    }

    /** The prefix, or the inclusive start of the range. */
    byte[] from() {
        return from;
    }

    byte[] toExclusive() {
        return toExclusive;
    }

    public int limit() {
        return limit;
    }

    public Consistency consistency() {
        return consistency;
    }

    byte[] pageToken() {
        return pageToken;
    }

    @Override
    public String toString() {
        String what = kind == Kind.PREFIX
                ? "prefix=" + new String(from, StandardCharsets.UTF_8)
                : "range=[" + new String(from, StandardCharsets.UTF_8) + ", "
                        + new String(toExclusive, StandardCharsets.UTF_8) + ")";
        return "ScanQuery[" + what + ", limit=" + limit + ", consistency=" + consistency
                + (pageToken.length > 0 ? ", continued" : "") + "]";
    }
}
