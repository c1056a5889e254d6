package io.cairn.kv.state;

import io.cairn.common.Bytes;

/**
 * A write the state machine applies, carried in a {@link CommandEnvelope}. Constructors check
 * only what makes a command meaningless (nulls, negative numbers); size limits are the business
 * of {@link Limits}, checked at the edge and again when applied.
 */
public sealed interface Command
        permits Command.Put, Command.Delete, Command.CompareAndSet, Command.Expire {

    /** Sets {@code key} to {@code value}. {@code ttlMillis} 0 means the key never expires. */
    record Put(Bytes key, Bytes value, long ttlMillis) implements Command {
        public Put {
            requireKeyAndValue(key, value);
            requireTtl(ttlMillis);
        }
    }

    /** Removes {@code key}; a later put of the same key starts again at version 1. */
    record Delete(Bytes key) implements Command {
        public Delete {
            if (key == null) {
                throw new IllegalArgumentException("key is required");
            }
        }
    }

    /**
     * Sets {@code key} to {@code value} only if the key's current version is
     * {@code expectedVersion}; {@code expectedVersion} 0 means "the key is absent" (or expired).
     */
    record CompareAndSet(Bytes key, long expectedVersion, Bytes value, long ttlMillis) implements Command {
        public CompareAndSet {
            requireKeyAndValue(key, value);
            if (expectedVersion < 0) {
                throw new IllegalArgumentException("expectedVersion must not be negative: " + expectedVersion);
            }
            requireTtl(ttlMillis);
        }
    }

    /**
     * Removes keys whose TTL passed at {@code nowMillis} and forgets client sessions idle longer
     * than the session TTL. The leader proposes it periodically, with {@code nowMillis} equal to
     * the envelope's timestamp.
     */
    record Expire(long nowMillis) implements Command {
        public Expire {
            if (nowMillis < 0) {
                throw new IllegalArgumentException("nowMillis must not be negative: " + nowMillis);
            }
        }
    }

    private static void requireKeyAndValue(Bytes key, Bytes value) {
        if (key == null || value == null) {
            throw new IllegalArgumentException("key and value are required");
        }
    }

    private static void requireTtl(long ttlMillis) {
        if (ttlMillis < 0) {
            throw new IllegalArgumentException("ttlMillis must not be negative (0 = no TTL): " + ttlMillis);
        }
    }
}
