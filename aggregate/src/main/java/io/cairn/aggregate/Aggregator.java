package io.cairn.aggregate;

import java.util.Map;

/**
 * An aggregation that runs where the data lives: each shard folds its keys into an accumulator
 * ({@link Bound#add}), the accumulators of all shards are merged ({@link Bound#combine}) and the
 * merged one is turned into the answer ({@link Bound#finishJson}). Accumulators travel between
 * nodes as bytes ({@link Bound#encode}, {@link Bound#decode}), so a shard answers with a small
 * partial result, never its rows.
 *
 * <p>The built-in aggregators are in {@link Aggregators}. An operator adds others by putting a jar
 * on every server's class path with an implementation of this interface listed in
 * {@code META-INF/services/io.cairn.aggregate.Aggregator} ({@link java.util.ServiceLoader}); a
 * client names them, it never sends code. Every node must have the same aggregators: a shard
 * folds with its own copy and the node that merges decodes with its own.
 *
 * <p>Rules an implementation must keep, because the cluster relies on them:
 * <ul>
 *   <li>{@code combine} is associative and commutative, and {@code zero()} is its identity: the
 *       shards' partials are merged in any order;</li>
 *   <li>{@code decode(encode(a))} equals {@code a};</li>
 *   <li>{@code add} is deterministic and fast (it runs on the shard's Raft loop thread, a chunk of
 *       keys at a time) and never keeps {@code key} or {@code value} arrays beyond the call
 *       without copying them;</li>
 *   <li>bad parameters throw {@link IllegalArgumentException} from {@link #bind}, with a message
 *       a user can act on.</li>
 * </ul>
 */
public interface Aggregator {
    /** The name clients use, lower case: {@code sum}, {@code topk}. */
    String name();

    /** One line for {@code cairn aggregate --help} and error messages. */
    String description();

    /** This aggregator with its parameters checked; {@code params} are the request's, as given. */
    Bound<?> bind(Map<String, String> params);

    /**
     * An aggregator with its parameters.
     *
     * @param <A> the mutable accumulator
     */
    interface Bound<A> {
        A zero();

        /**
         * Folds one key's value into {@code acc}; false when the value cannot be aggregated (a
         * non-numeric value under {@code sum}), which the result counts as skipped.
         */
        boolean add(A acc, byte[] key, byte[] value);

        /** {@code a} merged with {@code b}; may reuse and return {@code a}. */
        A combine(A a, A b);

        byte[] encode(A acc);

        /** Reads what {@link #encode} wrote; IllegalArgumentException when it is not that. */
        A decode(byte[] bytes);

        /** The answer as a JSON value: a number, a string, an array or an object. */
        String finishJson(A acc);
    }
}
