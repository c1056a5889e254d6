package io.cairn.consensus;

/**
 * The engine's answer to a proposal. {@link Accepted} gives the entry's position: the command
 * is committed if and when an entry with exactly that term and index is applied; if another
 * entry is applied there instead, the proposal was lost and the client must retry.
 */
public sealed interface ProposeResult {
    record Accepted(long index, long term) implements ProposeResult {}

    record Dropped(DropReason reason) implements ProposeResult {}

    default boolean accepted() {
        return this instanceof Accepted;
    }
}
