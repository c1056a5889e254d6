package io.cairn.kv.state;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What a shard leader does with the transactions coordinators left and nobody met (the
 * server's transaction recovery and the simulator both follow it). Every pass it looks at a
 * page of its intents and of its records, resuming where the last pass stopped:
 * <ul>
 *   <li>an intent {@link #CLEANUP_AFTER_TIMEOUTS} transaction timeouts old is pushed, as a write
 *       meeting it would ({@link IntentMeeting});</li>
 *   <li>a record that old is finished: a committed one's intents are resolved as committed in
 *       every shard its decision named ({@link #committedIntentsByShard}), then the record is
 *       removed; an aborted one is removed at once (its decision dropped the primary's intent, and
 *       a prepare arriving in the primary's shard after it places nothing, so nothing can commit
 *       the transaction later).</li>
 * </ul>
 */
public final class TxnCleanup {
    private TxnCleanup() {}

    /**
     * Records and intents this many transaction timeouts old (60 s by default) are cleaned up. A
     * coordinator whose prepares take longer than that cannot be told apart from one long gone.
     */
    public static final int CLEANUP_AFTER_TIMEOUTS = 30;
    /** Records and intents looked at per shard and pass: a pass costs a bounded scan. */
    public static final int PAGE = 64;

    public static long cleanupAfterMillis(long txnTimeoutMillis) {
        return CLEANUP_AFTER_TIMEOUTS * txnTimeoutMillis;
    }

    /** Whether a pass at {@code nowMillis} ends this intent. */
    public static boolean intentDue(Result.Locked intent, long nowMillis, long txnTimeoutMillis) {
        return intent.preparedAtMillis() < nowMillis - cleanupAfterMillis(txnTimeoutMillis);
    }

    /** Whether a pass at {@code nowMillis} finishes this record (one kept for good never is). */
    public static boolean recordDue(KvStateMachine.TxnRecordView record, long nowMillis, long txnTimeoutMillis) {
        return record.cleanable() && record.decidedAtMillis() < nowMillis - cleanupAfterMillis(txnTimeoutMillis);
    }

    /**
     * The intents a due record's transaction may still hold, by shard, each to be resolved as
     * committed before the record goes: none for an aborted one.
     */
    public static <S> Map<S, List<io.cairn.common.Bytes>> committedIntentsByShard(KvStateMachine.TxnRecordView record,
                                                                                 Function<io.cairn.common.Bytes, S> shardOf) {
        Map<S, List<io.cairn.common.Bytes>> byShard = new LinkedHashMap<>();
        if (record.committed()) {
            for (io.cairn.common.Bytes key : record.intentKeys()) {
                byShard.computeIfAbsent(shardOf.apply(key), s -> new ArrayList<>()).add(key);
            }
        }
        return byShard;
    }
}
