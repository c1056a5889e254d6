package io.cairn.consensus;

/** What a log entry carries. */
public enum EntryType {
    /** A state machine command, or a leader's no-op when the data is empty. */
    NORMAL,
    /** A membership configuration: an encoded {@link ConfState}. */
    CONFIG
}
