package io.cairn.sim.lin;

import java.util.Objects;

/** What the key-value store answered. A pending operation has no output at all. */
public sealed interface KvOutput permits KvOutput.Ok, KvOutput.Read, KvOutput.Swapped {
    /** The answer to a put or a delete. */
    KvOutput OK = new Ok();

    /** Use {@link KvOutput#OK}. */
    record Ok() implements KvOutput {
        @Override
        public String toString() {
            return "ok";
        }
    }

    /** The answer to a get: the value seen, possibly {@link KvValue#ABSENT}. */
    record Read(KvValue value) implements KvOutput {
        public Read {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String toString() {
            return value.toString();
        }
    }

    /** The answer to a compare-and-set. */
    record Swapped(boolean succeeded) implements KvOutput {
        @Override
        public String toString() {
            return Boolean.toString(succeeded);
        }
    }
}
