package io.cairn.aggregate;

import java.util.List;
import java.util.Map;

/**
 * When shards' reads of a range make one consistent cut (docs/aggregation.md): every shard was
 * read (its first read linearizable, at revision R), then every shard was checked (linearizably,
 * after the last read). The reads are at a cut when no shard held a write intent in the range at
 * its read, and every check answered that nothing in the range changed after R and no write
 * intent lies on it now. Then the range held still on each shard from its read through its
 * check, and every read came before every check, so at any instant between the last read and the
 * first check the whole range was what was read; a cross-shard transaction cannot be half in it
 * (its resolve is a change on each shard, an unresolved part an intent). Pure: the node that runs
 * an aggregation applies it, and so can a simulator.
 */
public final class CutRule {
    private CutRule() {}

    /** A shard's read: its name, and the write intents it found in the range. */
    public record Read(String shard, long writeIntents) {}

    /**
     * A shard's check: whether the range changed after its read (or intents lie on it, or it
     * cannot be told), or why the check failed (null when it answered).
     */
    public record Check(boolean changed, String failure) {}

    /** Why the reads cannot be at a cut even before checking (intents), or null. */
    public static String beforeCheck(List<Read> reads) {
        for (Read r : reads) {
            if (r.writeIntents() > 0) {
                return r.shard() + " held " + r.writeIntents() + " write intents of unresolved transactions";
            }
        }
        return null;
    }

    /** Null when {@code reads} are at one cut given every shard's check, else why not. */
    public static String atCut(List<Read> reads, Map<String, Check> checks) {
        String before = beforeCheck(reads);
        if (before != null) {
            return before;
        }
        for (Read r : reads) {
            Check c = checks.get(r.shard());
            if (c == null) {
                return "the check of " + r.shard() + " did not answer";
            }
            if (c.failure() != null) {
                return "the check of " + r.shard() + " failed: " + c.failure();
            }
            if (c.changed()) {
                return "keys of the range changed in " + r.shard() + " while it was read";
            }
        }
        return null;
    }
}
