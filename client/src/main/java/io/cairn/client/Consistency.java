package io.cairn.client;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How fresh a read must be. Four levels, strongest first; docs/consistency.md says what each
 * promises and what it costs. Every answer says which level served it and how stale it could be
 * ({@link KeyValue#servedAt()}, {@link KeyValue#stalenessMillisMax()}).
 */
public final class Consistency {
    /** The levels, strongest first. */
    public enum Level {
        /** Confirmed with the shard's leader (ReadIndex): sees every write acknowledged before the read began. */
        LINEARIZABLE,
        /**
         * Served by the leader under its lease without asking the followers: linearizable while node
         * clocks run at rates within the documented bound; a follower or a leader without a valid
         * lease confirms with ReadIndex instead.
         */
        LEASE,
        /** Any replica that can prove its state misses no write acknowledged more than the bound ago. */
        BOUNDED,
        /** Any replica's applied state, possibly stale by any amount. */
        EVENTUAL
    }

    /** The largest bound a BOUNDED read takes, as the server enforces it: one hour. */
    public static final Duration MAX_STALENESS_MAX = Duration.ofHours(1);

    public static final Consistency LINEARIZABLE = new Consistency(Level.LINEARIZABLE, 0);
    public static final Consistency LEASE = new Consistency(Level.LEASE, 0);
    public static final Consistency EVENTUAL = new Consistency(Level.EVENTUAL, 0);

    private final Level level;
    private final long maxStalenessMillis;

    private Consistency(Level level, long maxStalenessMillis) {
        this.level = level;
        this.maxStalenessMillis = maxStalenessMillis;
    }

    /**
     * A read that may miss writes acknowledged less than {@code maxStaleness} ago, served by any
     * replica that can prove it (millisecond precision, 1 ms to one hour).
     */
    public static Consistency bounded(Duration maxStaleness) {
        if (maxStaleness == null || maxStaleness.toMillis() < 1 || maxStaleness.compareTo(MAX_STALENESS_MAX) > 0) {
            throw new IllegalArgumentException("a bounded read needs a staleness from 1 ms to 1 h, got " + maxStaleness);
        }
        return new Consistency(Level.BOUNDED, maxStaleness.toMillis());
    }

    public Level level() {
        return level;
    }

    /** The bound of a BOUNDED read; zero for the other levels. */
    public Duration maxStaleness() {
        return Duration.ofMillis(maxStalenessMillis);
    }

    /** Whether any replica may serve it (BOUNDED, EVENTUAL), so the client may spread it over replicas. */
    public boolean replicaRead() {
        return level == Level.BOUNDED || level == Level.EVENTUAL;
    }

    io.cairn.api.proto.Consistency toProto() {
        return switch (level) {
            case LINEARIZABLE -> io.cairn.api.proto.Consistency.CONSISTENCY_LINEARIZABLE;
            case LEASE -> io.cairn.api.proto.Consistency.CONSISTENCY_LEASE;
            case BOUNDED -> io.cairn.api.proto.Consistency.CONSISTENCY_BOUNDED;
            case EVENTUAL -> io.cairn.api.proto.Consistency.CONSISTENCY_EVENTUAL;
        };
    }

    long maxStalenessMillis() {
        return maxStalenessMillis;
    }

    /** The level a server said it served a read at; null when it did not say (a write, an older server). */
    static Level levelOf(io.cairn.api.proto.Consistency served) {
        return switch (served) {
            case CONSISTENCY_LINEARIZABLE -> Level.LINEARIZABLE;
            case CONSISTENCY_LEASE -> Level.LEASE;
            case CONSISTENCY_BOUNDED -> Level.BOUNDED;
            case CONSISTENCY_EVENTUAL -> Level.EVENTUAL;
            default -> null;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Consistency other && level == other.level && maxStalenessMillis == other.maxStalenessMillis;
    }

    @Override
    public int hashCode() {
        return Objects.hash(level, maxStalenessMillis);
    }

    /** As the CLI takes it: {@code linearizable}, {@code bounded:500ms}. */
    @Override
    public String toString() {
        String name = level.name().toLowerCase(Locale.ROOT);
        return level == Level.BOUNDED ? name + ":" + maxStalenessMillis + "ms" : name;
    }
}
