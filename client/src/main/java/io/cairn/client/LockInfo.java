package io.cairn.client;

import java.util.List;

/**
 * A lock's holders and waiters as one read saw them (see {@link CairnClient#listLocks}).
 *
 * @param permits          1 for an exclusive lock, n for a semaphore, {@link SessionLock#READ_WRITE_PERMITS}
 *                         for a read-write lock
 * @param delayUntilMillis leader time until which a lock delay keeps it closed; 0: none
 * @param waiters          in the order they will be granted
 */
public record LockInfo(byte[] name, int permits, long delayUntilMillis, List<Entry> holders, List<Entry> waiters) {
    /**
     * One holder or waiter: {@code sessionId} 0 for a lock taken with its own TTL (lapsing at
     * {@code expiresAtMillis}); {@code token} 0 for a waiter; {@code value} what it proclaims (an
     * election's candidate), empty for most.
     */
    public record Entry(byte[] owner, long sessionId, int weight, long token, long expiresAtMillis, byte[] value) {}

    public LockInfo {
        holders = List.copyOf(holders);
        waiters = List.copyOf(waiters);
    }

    static LockInfo of(io.cairn.api.proto.LockState s) {
        return new LockInfo(s.getName().toByteArray(), s.getPermits(), s.getDelayUntilMs(),
                s.getHoldersList().stream().map(LockInfo::entry).toList(),
                s.getWaitersList().stream().map(LockInfo::entry).toList());
    }

    static Entry entry(io.cairn.api.proto.LockEntry e) {
        return new Entry(e.getOwner().toByteArray(), e.getSessionId(), e.getWeight(), e.getToken(), e.getExpiresAtMs(),
                e.getValue().toByteArray());
    }
}
