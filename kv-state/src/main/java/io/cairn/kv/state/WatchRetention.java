package io.cairn.kv.state;

/**
 * How much change history a replica keeps for watchers ({@link WatchHub}): at most
 * {@code events} changes and {@code bytes} of them, and none older than {@code ageMillis} (0: no
 * age limit). A watch from an older revision is told COMPACTED with the oldest one kept.
 */
public record WatchRetention(int events, long bytes, long ageMillis) {
    public static final WatchRetention DEFAULT = new WatchRetention(10_000, 8L << 20, 0);

    public WatchRetention {
        if (events < 1 || bytes < 1 || ageMillis < 0) {
            throw new IllegalArgumentException("watch history must keep at least 1 change and 1 byte, and its age"
                    + " limit must not be negative: " + events + " changes, " + bytes + " bytes, " + ageMillis + " ms");
        }
    }
}
