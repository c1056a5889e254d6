package io.cairn.sim.lin;

import java.util.Objects;

/** What a client asked of a store with versions, such as kv-state. Every kind names one key. */
public sealed interface VersionedKvInput
        permits VersionedKvInput.Put, VersionedKvInput.Get, VersionedKvInput.Cas, VersionedKvInput.Delete {
    String key();

    /** Sets {@code key} to {@code value}; answers {@link VersionedKvOutput.Written}. */
    record Put(String key, long value) implements VersionedKvInput {
        public Put {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "put(" + key + ", " + value + ")";
        }
    }

    /** Reads {@code key}; answers {@link VersionedKvOutput.Read}. */
    record Get(String key) implements VersionedKvInput {
        public Get {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "get(" + key + ")";
        }
    }

    /**
     * Sets {@code key} to {@code newValue} if its version is {@code expectedVersion} (0: the key
     * is absent); answers {@link VersionedKvOutput.Written} or {@link VersionedKvOutput.CasFailed}.
     */
    record Cas(String key, long expectedVersion, long newValue) implements VersionedKvInput {
        public Cas {
            Objects.requireNonNull(key, "key");
            if (expectedVersion < 0) {
                throw new IllegalArgumentException("expectedVersion must not be negative: " + expectedVersion);
            }
        }

        @Override
        public String toString() {
            return "cas(" + key + ", v" + expectedVersion + " -> " + newValue + ")";
        }
    }

    /** Removes {@code key}; answers {@link VersionedKvOutput.Deleted}. */
    record Delete(String key) implements VersionedKvInput {
        public Delete {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "delete(" + key + ")";
        }
    }
}
