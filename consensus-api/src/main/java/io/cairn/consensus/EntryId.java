package io.cairn.consensus;

/** An entry's position: by Log Matching, two logs that share an EntryId share the prefix too. */
public record EntryId(long term, long index) {
    @Override
    public String toString() {
        return term + "/" + index;
    }
}
