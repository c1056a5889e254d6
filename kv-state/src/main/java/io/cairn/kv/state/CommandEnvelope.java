package io.cairn.kv.state;

import io.cairn.common.Bytes;

/**
 * What a log entry's data decodes to: a command with the client session that sent it and the
 * time the leader stamped when proposing it.
 *
 * <p>{@code clientId} and {@code sequence} make writes exactly-once (see {@link KvStateMachine}).
 * {@code clientId} {@link #NO_SESSION} marks a command without a session, such as the leader's
 * periodic {@link Command.Expire}; such a command is applied every time it is committed, so it
 * must be idempotent or its proposer must accept at-least-once. With a session, {@code sequence}
 * starts at 1 and grows with each new command of that client; without one it is 0.
 *
 * <p>{@code leaderTimestampMillis} is the only clock the state machine sees (design decision 4).
 */
public record CommandEnvelope(long clientId, long sequence, long leaderTimestampMillis, Command command) {
    /** The client id of a command applied without deduplication. */
    public static final long NO_SESSION = 0;

    public CommandEnvelope {
        if (command == null) {
            throw new IllegalArgumentException("command is required");
        }
        if (leaderTimestampMillis < 0) {
            throw new IllegalArgumentException("leaderTimestampMillis must not be negative: " + leaderTimestampMillis);
        }
        // A session numbers its commands from 1; a command without a session carries 0.
        if (clientId != NO_SESSION && sequence < 1) {
            throw new IllegalArgumentException("sequence of client " + clientId + " must be at least 1: " + sequence);
        }
        if (clientId == NO_SESSION && sequence != 0) {
            throw new IllegalArgumentException("a command without a session has sequence 0, not " + sequence);
        }
    }

    /** A command without a session, applied each time it is committed. */
    public static CommandEnvelope withoutSession(long leaderTimestampMillis, Command command) {
        return new CommandEnvelope(NO_SESSION, 0, leaderTimestampMillis, command);
    }

    public boolean hasSession() {
        return clientId != NO_SESSION;
    }

    /** The bytes a log entry carries; see {@link CommandCodec} for the layout. */
    public Bytes encode() {
        return CommandCodec.encode(this);
    }

    /** Decodes what {@link #encode} produced; throws {@link CodecException} on anything else. */
    public static CommandEnvelope decode(Bytes data) {
        return CommandCodec.decode(data);
    }
}
