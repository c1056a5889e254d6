package io.cairn.consensus;

/**
 * An entry's position: by Log Matching, two logs that share an EntryId share the prefix too.
 * Ordered as Raft compares logs' last entries: by term, then by index.
 */
public record EntryId(long term, long index) implements Comparable<EntryId> {
    @Override
    public int compareTo(EntryId other) {
        return term != other.term ? Long.compare(term, other.term) : Long.compare(index, other.index);
    }

    @Override
    public String toString() {
        return term + "/" + index;
    }
}
