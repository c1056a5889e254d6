package io.cairn.kv.state;

import io.cairn.common.Bytes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A lock as a read sees it at some leader time: its permits, its holders (each with its fencing
 * token) and its waiters in the order they will be granted, and until when a lock delay keeps it
 * closed (0: none). TTL holders that lapsed by the read's time are left out.
 */
public record LockState(Bytes name, int permits, long delayUntilMillis, List<Entry> holders, List<Entry> waiters) {
    /**
     * One holder or waiter: {@code sessionId} 0 for a grant with its own expiry
     * ({@code expiresAtMillis}); {@code token} 0 for a waiter.
     */
    public record Entry(Bytes owner, long sessionId, int weight, long token, long expiresAtMillis, Bytes value) {}

    public LockState {
        holders = List.copyOf(holders);
        waiters = List.copyOf(waiters);
    }

    /** The holder with the newest token; empty when nobody holds it. */
    public Optional<Entry> newestHolder() {
        Entry newest = null;
        for (Entry e : holders) {
            if (newest == null || e.token() > newest.token()) {
                newest = e;
            }
        }
        return Optional.ofNullable(newest);
    }

    /** The entry of {@code owner} in session {@code sessionId}, holding or waiting; empty if it has none. */
    public Optional<Entry> entryOf(long sessionId, Bytes owner) {
        for (List<Entry> list : List.of(holders, waiters)) {
            for (Entry e : list) {
                if (e.sessionId() == sessionId && e.owner().equals(owner)) {
                    return Optional.of(e);
                }
            }
        }
        return Optional.empty();
    }

    static Optional<LockState> of(Bytes name, LockRecord record, long nowMillis) {
        List<Entry> holders = new ArrayList<>();
        List<Entry> waiters = new ArrayList<>();
        for (LockRecord.Entry e : record.entries()) {
            if (!e.liveAt(nowMillis)) {
                continue;
            }
            Entry view = new Entry(e.owner(), e.sessionId(), e.weight(), e.token(), e.expiresAtMillis(), e.value());
            (e.granted() ? holders : waiters).add(view);
        }
        if (holders.isEmpty() && waiters.isEmpty()) {
            return Optional.empty();
        }
        long delay = nowMillis < record.delayUntilMillis() ? record.delayUntilMillis() : 0;
        return Optional.of(new LockState(name, record.permits(), delay, holders, waiters));
    }
}
