package io.cairn.consensus;

import java.util.List;

/**
 * Work the engine hands its host. The host does it in this order, then calls
 * {@link ConsensusCore#advance(Ready)}:
 * <ol>
 *   <li>send {@link #messages()}: they do not depend on anything in this Ready being durable
 *       (a leader's appends and heartbeats), so they may leave while the disk works;</li>
 *   <li>persist, in one atomic write: {@link #snapshot()} if present (it replaces the whole
 *       log), then {@link #entries()} (an entry at an index already stored replaces it and every
 *       entry after it), then {@link #hardState()} if present; fsync when {@link #mustSync()};</li>
 *   <li>send {@link #messagesAfterPersist()}: votes and acknowledgements that promise what was
 *       just persisted;</li>
 *   <li>install {@link #snapshot()} into the state machine, then apply
 *       {@link #committedEntries()} in order;</li>
 *   <li>serve each {@link ReadState} once the state machine has applied its index.</li>
 * </ol>
 * Many groups on one node may persist their Readies together with a single fsync, as long as
 * each group's step 3 waits for that fsync.
 *
 * @param hardState null when unchanged since the previous Ready
 * @param snapshot null when there is none to install
 */
public record Ready(
        HardState hardState,
        Snapshot snapshot,
        List<LogEntry> entries,
        boolean mustSync,
        List<ConsensusMessage> messages,
        List<ConsensusMessage> messagesAfterPersist,
        List<LogEntry> committedEntries,
        List<ReadState> readStates) {

    public Ready {
        entries = List.copyOf(entries);
        messages = List.copyOf(messages);
        messagesAfterPersist = List.copyOf(messagesAfterPersist);
        committedEntries = List.copyOf(committedEntries);
        readStates = List.copyOf(readStates);
    }
}
