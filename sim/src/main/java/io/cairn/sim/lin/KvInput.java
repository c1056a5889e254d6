package io.cairn.sim.lin;

import java.util.Objects;

/** What a client asked of the key-value store. Every kind names exactly one key. */
public sealed interface KvInput permits KvInput.Put, KvInput.Get, KvInput.Cas, KvInput.Delete {
    String key();

    /** Sets {@code key} to {@code value}; answers {@link KvOutput#OK}. */
    record Put(String key, long value) implements KvInput {
        public Put {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "put(" + key + ", " + value + ")";
        }
    }

    /** Reads {@code key}; answers {@link KvOutput.Read}. */
    record Get(String key) implements KvInput {
        public Get {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "get(" + key + ")";
        }
    }

    /**
     * Sets {@code key} to {@code newValue} if it holds {@code expected}, which may be
     * {@link KvValue#ABSENT}; answers {@link KvOutput.Swapped}.
     */
    record Cas(String key, KvValue expected, long newValue) implements KvInput {
        public Cas {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(expected, "expected");
        }

        @Override
        public String toString() {
            return "cas(" + key + ", " + expected + " -> " + newValue + ")";
        }
    }

    /** Removes {@code key}; answers {@link KvOutput#OK} whether or not it was present. */
    record Delete(String key) implements KvInput {
        public Delete {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "delete(" + key + ")";
        }
    }
}
