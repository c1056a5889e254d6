package io.cairn.sim;

import io.cairn.consensus.LogEntry;

/**
 * The checker's twin of one node's persisted log: per index the term, the entry hash and the
 * chain hash, from the snapshot index (the base, whose chain hash came with the snapshot) to the
 * last persisted entry. Like the disk, it survives crashes.
 */
final class ShadowLog {
    private long baseIndex;
    private long baseTerm;
    private long baseChain;
    /** Slot k holds index baseIndex + 1 + k. */
    private final LongList terms = new LongList();
    private final LongList entryHashes = new LongList();
    private final LongList chains = new LongList();

    long baseIndex() {
        return baseIndex;
    }

    long lastIndex() {
        return baseIndex + terms.size();
    }

    /** Whether the chain hash at {@code index} is known: the base or a persisted entry. */
    boolean holds(long index) {
        return index >= baseIndex && index <= lastIndex();
    }

    long chainAt(long index) {
        return index == baseIndex ? baseChain : chains.get(slot(index));
    }

    long termAt(long index) {
        return index == baseIndex ? baseTerm : terms.get(slot(index));
    }

    /** The hash of the entry itself; the base has none (it is covered by a snapshot). */
    long entryHashAt(long index) {
        return entryHashes.get(slot(index));
    }

    private int slot(long index) {
        if (index <= baseIndex || index > lastIndex()) {
            throw new IllegalArgumentException("index " + index + " outside (" + baseIndex + ", " + lastIndex() + "]");
        }
        return (int) (index - baseIndex - 1);
    }

    /** Persists {@code entry}, which first drops every entry at or after its index. */
    void write(LogEntry entry) {
        long index = entry.index();
        if (index <= baseIndex || index > lastIndex() + 1) {
            throw new IllegalArgumentException("write at " + index + " outside (" + baseIndex + ", "
                    + (lastIndex() + 1) + "]");
        }
        int keep = (int) (index - baseIndex - 1);
        terms.truncate(keep);
        entryHashes.truncate(keep);
        chains.truncate(keep);
        long chain = Hashing.chain(chainAt(index - 1), entry);
        terms.add(entry.term());
        entryHashes.add(Hashing.ofEntry(entry));
        chains.add(chain);
    }

    /** A snapshot replaced the whole log. */
    void resetTo(long index, long term, long chain) {
        baseIndex = index;
        baseTerm = term;
        baseChain = chain;
        terms.clear();
        entryHashes.clear();
        chains.clear();
    }

    /** The node compacted its log up to {@code index}, which it holds. */
    void compact(long index) {
        long term = termAt(index);
        long chain = chainAt(index);
        int drop = (int) (index - baseIndex);
        terms.dropPrefix(drop);
        entryHashes.dropPrefix(drop);
        chains.dropPrefix(drop);
        baseIndex = index;
        baseTerm = term;
        baseChain = chain;
    }
}
