package io.cairn.sim;

/**
 * A 64-bit hash over the trace of a run: every processed event (time, kind, addresses, payload
 * text) and every note a component adds. Two runs with the same digest took the same path.
 */
public final class TraceDigest {
    private long hash = 0x2545_F491_4F6C_DD1DL;
    private long events;

    public void fold(Scheduler.Event event) {
        events++;
        hash = Hashing.combine(hash, event.timeMicros());
        hash = Hashing.combine(hash, event.kind().ordinal());
        hash = Hashing.combine(hash, event.subject());
        hash = Hashing.combine(hash, event.peer());
        if (event.payload() != null) {
            hash = Hashing.combine(hash, Hashing.ofString(event.payload().toString()));
        }
    }

    /** Folds something that happened inside an event, such as a crash before persisting. */
    public void note(String text) {
        hash = Hashing.combine(hash, Hashing.ofString(text));
    }

    public long events() {
        return events;
    }

    public long value() {
        return hash;
    }

    public String hex() {
        return String.format("%016x", hash);
    }
}
