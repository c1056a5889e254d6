package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.EntryType;
import io.cairn.consensus.LogEntry;

/** Builds consecutive log entries for tests, starting after a given index. */
final class TestLog {
    private long lastIndex;
    private long term = 1;

    TestLog() {
        this(0);
    }

    TestLog(long lastIndex) {
        this.lastIndex = lastIndex;
    }

    static Bytes b(String s) {
        return Bytes.utf8(s);
    }

    long lastIndex() {
        return lastIndex;
    }

    TestLog term(long newTerm) {
        term = newTerm;
        return this;
    }

    LogEntry entry(CommandEnvelope envelope) {
        return LogEntry.normal(++lastIndex, term, envelope.encode());
    }

    /** A command without a session at leader time {@code nowMillis}. */
    LogEntry entry(long nowMillis, Command command) {
        return entry(CommandEnvelope.withoutSession(nowMillis, command));
    }

    LogEntry entry(long clientId, long sequence, long nowMillis, Command command) {
        return entry(new CommandEnvelope(clientId, sequence, nowMillis, command));
    }

    LogEntry raw(Bytes data) {
        return LogEntry.normal(++lastIndex, term, data);
    }

    LogEntry noop() {
        return LogEntry.normal(++lastIndex, term, Bytes.EMPTY);
    }

    LogEntry config() {
        return new LogEntry(++lastIndex, term, EntryType.CONFIG, ConfState.ofVoters(NodeId.of(1)).encode());
    }

    static Command.Put put(String key, String value) {
        return new Command.Put(b(key), b(value), 0);
    }

    static Command.Put put(String key, String value, long ttlMillis) {
        return new Command.Put(b(key), b(value), ttlMillis);
    }

    static Command.Delete delete(String key) {
        return new Command.Delete(b(key));
    }

    static Command.CompareAndSet cas(String key, long expectedVersion, String value) {
        return new Command.CompareAndSet(b(key), expectedVersion, b(value), 0);
    }
}
