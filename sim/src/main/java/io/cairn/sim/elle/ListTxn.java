package io.cairn.sim.elle;

import java.util.List;

/**
 * One transaction of the list-append workload as its client saw it end: its micro-operations in
 * order and whether it committed. Every appended value is unique in a history, so a read list
 * names the transactions whose appends it holds.
 *
 * @param id     unique in the history; shown in anomalies as T{id}
 * @param outcome OK (committed), FAILED (certainly not applied) or INFO (unknown)
 * @param mops   appends and reads in the order the transaction did them
 */
public record ListTxn(long id, Outcome outcome, List<Mop> mops) {
    public enum Outcome { OK, FAILED, INFO }

    public ListTxn {
        if (outcome == null || mops == null) {
            throw new IllegalArgumentException("outcome and mops are required");
        }
        mops = List.copyOf(mops);
    }

    /** An append of {@code value} to {@code key}'s list, or a read of it ({@code read} the list seen). */
    public record Mop(String key, boolean append, long value, List<Long> read) {
        public Mop {
            if (key == null || !append && read == null) {
                throw new IllegalArgumentException("a mop needs a key, and a read its list");
            }
            read = read == null ? null : List.copyOf(read);
        }

        public static Mop append(String key, long value) {
            return new Mop(key, true, value, null);
        }

        public static Mop read(String key, List<Long> list) {
            return new Mop(key, false, 0, list);
        }

        @Override
        public String toString() {
            return append ? "append(" + key + "," + value + ")" : "read(" + key + ")=" + read;
        }
    }

    @Override
    public String toString() {
        return "T" + id + " " + outcome + " " + mops;
    }
}
