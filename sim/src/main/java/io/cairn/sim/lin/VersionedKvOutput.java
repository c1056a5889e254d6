package io.cairn.sim.lin;

import java.util.Objects;

/** What a store with versions answered. A pending operation has no output at all. */
public sealed interface VersionedKvOutput
        permits VersionedKvOutput.Written, VersionedKvOutput.CasFailed, VersionedKvOutput.Deleted,
                VersionedKvOutput.Read {

    /** A put, or a compare-and-set that swapped, left the key at {@code version}. */
    record Written(long version) implements VersionedKvOutput {
        @Override
        public String toString() {
            return "written v" + version;
        }
    }

    /** A compare-and-set that did not swap: the key was at {@code actualVersion} (0: absent). */
    record CasFailed(long actualVersion) implements VersionedKvOutput {
        @Override
        public String toString() {
            return "failed v" + actualVersion;
        }
    }

    /** A delete; {@code existed} says whether the key was present. */
    record Deleted(boolean existed) implements VersionedKvOutput {
        @Override
        public String toString() {
            return existed ? "deleted" : "was absent";
        }
    }

    /** A get: what the key held, value and version. */
    record Read(VersionedValue seen) implements VersionedKvOutput {
        public Read {
            Objects.requireNonNull(seen, "seen");
        }

        @Override
        public String toString() {
            return seen.toString();
        }
    }
}
