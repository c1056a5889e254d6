package io.cairn.client;

/** A lock's current grant as {@link CairnClient#describeLock} reads it. */
public record LockGrant(byte[] name, byte[] owner, long token, long expiresAtMillis) {
    public LockGrant {
        name = name.clone();
        owner = owner.clone();
    }

    @Override
    public byte[] name() {
        return name.clone();
    }

    @Override
    public byte[] owner() {
        return owner.clone();
    }
}
