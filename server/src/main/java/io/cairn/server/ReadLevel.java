package io.cairn.server;

import io.cairn.api.proto.Consistency;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The freshness a read asked for: its level and, for BOUNDED, the staleness it allows.
 *
 * @param level never UNSPECIFIED (that is LINEARIZABLE)
 * @param maxStalenessMillis BOUNDED only: 1 ms to {@link #MAX_STALENESS_MILLIS_MAX}; 0 otherwise
 */
record ReadLevel(Consistency level, long maxStalenessMillis) {
    /** An hour: a larger bound is an EVENTUAL read in disguise, and says so better as one. */
    static final long MAX_STALENESS_MILLIS_MAX = 3_600_000;
    static final ReadLevel LINEARIZABLE = new ReadLevel(Consistency.CONSISTENCY_LINEARIZABLE, 0);
    static final ReadLevel LEASE = new ReadLevel(Consistency.CONSISTENCY_LEASE, 0);
    static final ReadLevel EVENTUAL = new ReadLevel(Consistency.CONSISTENCY_EVENTUAL, 0);

    /**
     * The level a request asked for.
     *
     * @throws StatusRuntimeException INVALID_ARGUMENT for an unknown level, a BOUNDED read without
     *     a bound in range, or a bound on another level
     */
    static ReadLevel of(Consistency level, long maxStalenessMillis) {
        switch (level) {
            case CONSISTENCY_UNSPECIFIED, CONSISTENCY_LINEARIZABLE, CONSISTENCY_LEASE, CONSISTENCY_EVENTUAL -> {
                if (maxStalenessMillis != 0) {
                    throw invalid("max_staleness_ms is " + maxStalenessMillis + " but applies only to CONSISTENCY_BOUNDED, not "
                            + level);
                }
                return switch (level) {
                    case CONSISTENCY_LEASE -> LEASE;
                    case CONSISTENCY_EVENTUAL -> EVENTUAL;
                    default -> LINEARIZABLE;
                };
            }
            case CONSISTENCY_BOUNDED -> {
                if (maxStalenessMillis < 1 || maxStalenessMillis > MAX_STALENESS_MILLIS_MAX) {
                    throw invalid("CONSISTENCY_BOUNDED needs max_staleness_ms from 1 to " + MAX_STALENESS_MILLIS_MAX
                            + ", got " + maxStalenessMillis);
                }
                return new ReadLevel(level, maxStalenessMillis);
            }
            default -> throw invalid("unknown consistency level " + level + " (a newer client?)");
        }
    }

    private static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    /** The weaker of two levels: LINEARIZABLE, then LEASE, BOUNDED, EVENTUAL. */
    static Consistency weaker(Consistency a, Consistency b) {
        return rank(a) >= rank(b) ? a : b;
    }

    private static int rank(Consistency level) {
        return switch (level) {
            case CONSISTENCY_UNSPECIFIED, CONSISTENCY_LINEARIZABLE -> 0;
            case CONSISTENCY_LEASE -> 1;
            case CONSISTENCY_BOUNDED -> 2;
            // An unknown level from a newer server promises nothing we know of.
            case CONSISTENCY_EVENTUAL, UNRECOGNIZED -> 3;
        };
    }

    /**
     * A read's answer and how fresh it is.
     *
     * @param level the level it was served at: a BOUNDED read that confirmed with the leader is LINEARIZABLE
     * @param stalenessMillisMax the state holds every write acknowledged more than this long ago;
     *     0 for LINEARIZABLE and LEASE, -1 unknown (EVENTUAL)
     * @param appliedIndex the replica's applied index taken just before the read: the state read
     *     holds at least every entry up to it (what a near cache compares with its watch); -1 unknown
     */
    record Served<T>(T value, Consistency level, long stalenessMillisMax, long appliedIndex) {
        Served(T value, Consistency level, long stalenessMillisMax) {
            this(value, level, stalenessMillisMax, -1);
        }

        /** The weaker of two parts' freshness, for an answer put together from several shards. */
        static long weakerStaleness(long a, long b) {
            return a < 0 || b < 0 ? -1 : Math.max(a, b);
        }
    }
}
