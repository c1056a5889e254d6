package io.cairn.sim;

import java.util.Arrays;

/**
 * Counts of the interesting things a run did, so a passing batch can show it exercised what it
 * claims (elections, snapshots, membership changes...) rather than idling.
 */
public final class Coverage {
    public enum Item {
        ELECTIONS, CRASHES, CRASHES_BEFORE_PERSIST, RESTARTS, PARTITIONS, CONF_CHANGES_PROPOSED,
        // Machines that crashed in place of a persist's fsync (their unsynced writes torn), restarts
        // that found some of such a write's entries on disk all the same, and processes that died
        // of a full disk or could not start on one.
        CRASHES_DURING_PERSIST, TORN_WRITES_KEPT, DISK_FULL_STOPS,
        CONF_ENTRIES_APPLIED, DECOMMISSIONS, TRANSFERS, COMPACTIONS, SNAPSHOTS_INSTALLED, WRITES_OK, READS_OK,
        // BOUNDED reads a replica served from its own state, proven fresh enough.
        BOUNDED_READS_LOCAL,
        // Watch stream segments checked against what the nodes applied, and those that carried
        // changes; progress rounds where a replica that knew no leader for long sent its watchers on.
        WATCH_SEGMENTS, WATCH_EVENTS, WATCHERS_SENT_ON,
        // Expire commands a leader proposed because something was due: TTL keys, lock grants;
        // and those that found more due than one Expire removes, so the leader looked again at once.
        EXPIRES_PROPOSED, EXPIRES_PARTIAL,
        // Rare but legal paths production code took because the run's fault points fired
        // (FaultPoints): one-entry appends, one-entry apply batches, early appends not kept.
        SHORT_APPENDS, SHORT_APPLIES, EARLY_APPENDS_NOT_KEPT,
        // The PAUSE fault: processes stopped whole (SIGSTOP, a GC pause), fsyncs that stalled
        // their process, ticks owed after a short stall and replayed, and LEASE reads confirmed
        // by ReadIndex because the lease could not be trusted (soon after a start or a long stall).
        PAUSES, SLOW_SYNCS, TICKS_REPLAYED, LEASES_DISTRUSTED,
        // Sharded runs only.
        // Drops a machine crash interrupted (the store may still hold the group after the restart).
        EPOCHS, REPLICAS_OPENED, REPLICAS_DROPPED, DROPS_INTERRUPTED, JOINS, PERMANENT_DEATHS, REMOVALS, META_MOVES,
        // Operator mistakes the metadata group refused: a node that stopped when told it may not
        // take part (another shard count, or removed), and add-node of a live id at another address.
        // Machines lost by a damaged disk (a flipped bit in its tombstones, a WAL segment or a
        // snapshot file) that refused to start.
        // Flipped bits in a snapshot file no log stood on (a crash left it): the store removed it unread.
        NODES_REFUSED, DAMAGE_REFUSED, DAMAGE_UNREAD, ADDS_REFUSED,
        // The lock workload only (--workload lock), as its clients saw it: new grants (including
        // one that replaced an expired grant on a keep-alive), keep-alives that kept the token,
        // busy answers, register writes applied under the fence (or, in the negative control,
        // without it), fenced writes refused (FencedOut), pauses past the TTL before a write,
        // refused writes that followed such a pause while a newer grant held the lock (a stale
        // holder stopped), releases, answered Released or NotHolder, and fenced writes that
        // released their grant in the same entry, acknowledged.
        LOCK_GRANTS, LOCK_EXTENSIONS, LOCK_BUSY, FENCED_WRITES_OK, UNFENCED_WRITES_OK, FENCED_WRITES_REFUSED,
        PAUSES_PAST_TTL, STALE_WRITES_REFUSED, UNLOCKS_RELEASED, UNLOCKS_NOT_HOLDER, WRITES_RELEASED,
        // The session lock workload only (--workload session-lock): requests that waited in line,
        // waiters that left the line, EndSessions a leader proposed for sessions without
        // keep-alives, and requests answered that the client's session had ended.
        LOCK_QUEUED, WAITS_ABANDONED, SESSIONS_ENDED, SESSIONS_LOST,
        // What LockCheck's rules for waiters found to judge: waits whose grant was compared with an
        // earlier waiter's (FIFO), requests of a waiter next in line sent after its holder's release
        // was answered, and waits in line that ended (granted, left, session ended) after healing.
        FIFO_JUDGED, NEXT_IN_LINE_JUDGED, WAITS_ENDED_AFTER_HEALING,
        // The transaction workloads only (--workload bank, cross-bank or list-append): transactions
        // committed, transactions whose reads changed before the commit (aborted), and the bank's
        // audits. The cross-shard bank only: commits whose parts spanned shards, coordinators
        // that stopped mid-commit (leaving intents and records behind), and stale intents pushed.
        // The cleanup passes: intents nobody met, pushed, and records finished and removed.
        TXNS_COMMITTED, TXNS_CONFLICTED, AUDITS, CROSS_SHARD_COMMITS, COORDINATORS_CRASHED, INTENTS_PUSHED,
        INTENTS_CLEANED, RECORDS_CLEANED;

        /**
         * Whether this happens in a few runs only: a replica must know no leader for over 3 s of
         * virtual time, longer than most partitions a seed draws.
         */
        public boolean rare() {
            return this == WATCHERS_SENT_ON;
        }

        /**
         * Whether this happens in about a fifth of runs: a restart that finds part of a torn
         * write takes a crash in place of an fsync, then the sector coin going its way.
         */
        public boolean occasional() {
            return this == TORN_WRITES_KEPT;
        }

        /** Whether only a sharded run ({@link ShardedSimulation}) can count this. */
        public boolean shardedOnly() {
            return ordinal() >= EPOCHS.ordinal() && ordinal() <= ADDS_REFUSED.ordinal();
        }

        /** Whether only a run of the lock workload can count this; printed only when some is counted. */
        public boolean lockOnly() {
            return ordinal() >= LOCK_GRANTS.ordinal() && ordinal() < TXNS_COMMITTED.ordinal();
        }

        /** Whether only a run of a transaction workload can count this; printed only when some is counted. */
        public boolean txnOnly() {
            return ordinal() >= TXNS_COMMITTED.ordinal();
        }
    }

    private final long[] counts = new long[Item.values().length];

    public void add(Item item) {
        counts[item.ordinal()]++;
    }

    public long get(Item item) {
        return counts[item.ordinal()];
    }

    /** Adds another run's counts into this one. */
    public synchronized void addAll(Coverage other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
    }

    /** How many runs had at least one of each item, accumulated by {@link #addPresence}. */
    public synchronized void addPresence(Coverage run) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += run.counts[i] > 0 ? 1 : 0;
        }
    }

    @Override
    public synchronized String toString() {
        StringBuilder sb = new StringBuilder();
        boolean locks = false;
        boolean bank = false;
        for (Item item : Item.values()) {
            locks |= item.lockOnly() && counts[item.ordinal()] > 0;
            bank |= item.txnOnly() && counts[item.ordinal()] > 0;
        }
        for (Item item : Item.values()) {
            if (item.lockOnly() && !locks || item.txnOnly() && !bank) {
                continue;
            }
            sb.append(sb.length() == 0 ? "" : " ").append(item.name().toLowerCase(java.util.Locale.ROOT))
                    .append('=').append(counts[item.ordinal()]);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Coverage c && Arrays.equals(counts, c.counts);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(counts);
    }
}
