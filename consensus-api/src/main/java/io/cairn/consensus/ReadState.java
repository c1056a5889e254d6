package io.cairn.consensus;

/**
 * A confirmed linearizable read: once the host's state machine has applied {@code index}, it may
 * serve the read identified by {@code context} (the value the host passed to readIndex).
 */
public record ReadState(long index, long context) {}
