package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.consensus.EntryType;
import io.cairn.consensus.LogEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The state machine's rules written as plainly as possible, with no engine, no indexes and no
 * batching: an oracle for the property tests.
 */
final class ReferenceModel {
    private record Entry(Bytes value, long createRevision, long modRevision, long version, long expiresAtMillis) {
        boolean liveAt(long nowMillis) {
            return expiresAtMillis == 0 || nowMillis < expiresAtMillis;
        }
    }

    private record Session(long lastSequence, Result result, long lastActivityMillis) {}

    private final KvStateMachine.Options options;
    private final TreeMap<Bytes, Entry> data = new TreeMap<>();
    private final TreeMap<Long, Session> sessions = new TreeMap<>();
    private long clockMillis;

    ReferenceModel(KvStateMachine.Options options) {
        this.options = options;
    }

    long clockMillis() {
        return clockMillis;
    }

    Result apply(LogEntry entry) {
        if (entry.type() == EntryType.CONFIG || entry.data().isEmpty()) {
            return new Result.Skipped();
        }
        CommandEnvelope env;
        try {
            env = CommandEnvelope.decode(entry.data());
        } catch (CodecException e) {
            return new Result.Rejected(RejectReason.MALFORMED, e.getMessage());
        }
        clockMillis = Math.max(clockMillis, env.leaderTimestampMillis());
        if (env.command() instanceof Command.Expire expire) {
            clockMillis = Math.max(clockMillis, expire.nowMillis());
        }
        if (!env.hasSession()) {
            return execute(env.command(), entry.index());
        }
        Session session = sessions.get(env.clientId());
        if (session != null && env.sequence() < session.lastSequence()) {
            return new Result.Stale(session.lastSequence());
        }
        if (session != null && env.sequence() == session.lastSequence()) {
            return session.result();
        }
        Result result = execute(env.command(), entry.index());
        sessions.put(env.clientId(), new Session(env.sequence(), result, clockMillis));
        return result;
    }

    Optional<KeyValue> get(Bytes key, long nowMillis) {
        Entry e = data.get(key);
        if (e == null || !e.liveAt(nowMillis)) {
            return Optional.empty();
        }
        return Optional.of(new KeyValue(key, e.value(), e.createRevision(), e.modRevision(), e.version(),
                e.expiresAtMillis()));
    }

    List<KeyValue> liveAt(long nowMillis) {
        List<KeyValue> out = new ArrayList<>();
        for (Bytes key : data.keySet()) {
            get(key, nowMillis).ifPresent(out::add);
        }
        return out;
    }

    private Result execute(Command command, long revision) {
        Optional<Result.Rejected> violation = options.limits().violation(command);
        if (violation.isPresent()) {
            return violation.get();
        }
        if (command instanceof Command.Put put) {
            return write(put.key(), put.value(), put.ttlMillis(), revision);
        }
        if (command instanceof Command.Delete delete) {
            Entry old = data.remove(delete.key());
            return new Result.Deleted(revision, old != null && old.liveAt(clockMillis));
        }
        if (command instanceof Command.SetTtl setTtl) {
            Entry old = data.get(setTtl.key());
            return old != null && old.liveAt(clockMillis)
                    ? write(setTtl.key(), old.value(), setTtl.ttlMillis(), revision) : new Result.Deleted(revision, false);
        }
        if (command instanceof Command.CompareAndSet cas) {
            Entry old = data.get(cas.key());
            long actual = old != null && old.liveAt(clockMillis) ? old.version() : 0;
            return actual == cas.expectedVersion()
                    ? write(cas.key(), cas.value(), cas.ttlMillis(), revision) : new Result.CasFailed(actual);
        }
        return expire();
    }

    private Result write(Bytes key, Bytes value, long ttlMillis, long revision) {
        Entry old = data.get(key);
        boolean live = old != null && old.liveAt(clockMillis);
        long expiresAt = ttlMillis == 0 ? 0 : clockMillis + ttlMillis;
        Entry e = live ? new Entry(value, old.createRevision(), revision, old.version() + 1, expiresAt)
                : new Entry(value, revision, revision, 1, expiresAt);
        data.put(key, e);
        return new Result.Written(revision, e.version());
    }

    private Result expire() {
        int bound = options.expireBatchMax();
        List<Map.Entry<Bytes, Entry>> due = new ArrayList<>();
        for (Map.Entry<Bytes, Entry> e : data.entrySet()) {
            if (e.getValue().expiresAtMillis() != 0 && e.getValue().expiresAtMillis() <= clockMillis) {
                due.add(e);
            }
        }
        due.sort(Comparator.comparingLong((Map.Entry<Bytes, Entry> e) -> e.getValue().expiresAtMillis())
                .thenComparing(Map.Entry::getKey));
        int keys = Math.min(bound, due.size());
        for (int i = 0; i < keys; i++) {
            data.remove(due.get(i).getKey());
        }
        List<Map.Entry<Long, Session>> idle = new ArrayList<>();
        for (Map.Entry<Long, Session> s : sessions.entrySet()) {
            if (s.getValue().lastActivityMillis() < clockMillis - options.sessionTtlMillis()) {
                idle.add(s);
            }
        }
        // The state machine orders clients by their id's unsigned bytes within equal activity.
        idle.sort(Comparator.comparingLong((Map.Entry<Long, Session> s) -> s.getValue().lastActivityMillis())
                .thenComparing(s -> s.getKey(), Long::compareUnsigned));
        int forgotten = Math.min(bound, idle.size());
        for (int i = 0; i < forgotten; i++) {
            sessions.remove(idle.get(i).getKey());
        }
        return new Result.Expired(keys, forgotten, due.size() > bound || idle.size() > bound);
    }
}
