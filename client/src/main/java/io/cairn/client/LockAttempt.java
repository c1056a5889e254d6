package io.cairn.client;

/**
 * The answer to {@link CairnClient#tryLock}: {@code acquired} when the caller holds the lock,
 * with its fencing token, until {@code expiresAtMillis} (the shard leader's clock, ms since the
 * epoch) unless extended; otherwise the current holder's token and expiry.
 */
public record LockAttempt(byte[] name, boolean acquired, long token, long expiresAtMillis) {
    public LockAttempt {
        name = name.clone();
    }

    @Override
    public byte[] name() {
        return name.clone();
    }

    /** The fence that makes a write apply only while this grant is current; only for an acquired lock. */
    public Fence fence() {
        if (!acquired) {
            throw new IllegalStateException("the lock is held by another owner (token " + token + ")");
        }
        return new Fence(name, token);
    }
}
