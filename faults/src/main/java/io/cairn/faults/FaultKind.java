package io.cairn.faults;

import java.util.Arrays;
import java.util.List;

/** The faults the suite injects, one kind per scenario (or all of them, in turn, in {@code mixed}). */
enum FaultKind {
    /** SIGKILL a node (the leader half the time) and restart it after the hold. */
    KILL("kill"),
    /** SIGSTOP the leader longer than an election timeout, then SIGCONT: a leader that wakes up. */
    PAUSE("pause"),
    /** Cut the leader off from every other node, both ways. */
    PARTITION_LEADER("partition-leader"),
    /** Cut a random minority off from the majority, both ways. */
    PARTITION_MINORITY("partition-minority"),
    /** The leader's messages to the others are lost; theirs still reach it. */
    ONE_WAY("one-way"),
    /** Two halves that cannot talk to each other, and one node that talks to both. */
    BRIDGE("bridge"),
    /** Every node's wall clock shifted by up to 30 s either way. */
    CLOCK("clock"),
    /** Every WAL fsync of the leader (or a random node) takes 100-400 ms longer. */
    SLOW_DISK("slow-disk"),
    /** A node's disk is full: its WAL write fails, the node stops, and is restarted once the disk has room. */
    DISK_FULL("disk-full"),
    /**
     * Operator actions and mistakes on a sharded cluster (four shards): nodes join and are
     * removed (joiners and a founder, a removal racing with the node's death), a node joins with
     * another {@code --shards}, and {@code add-node} names a live member's id at another address.
     * The mistakes must be refused; nothing may cost an answer or an acknowledged write.
     * Not part of {@code mixed}, whose cluster is one shard.
     */
    MEMBERSHIP("membership");

    final String label;

    FaultKind(String label) {
        this.label = label;
    }

    static FaultKind of(String label) {
        return Arrays.stream(values()).filter(k -> k.label.equals(label)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown fault " + label + "; known: " + labels()));
    }

    static List<String> labels() {
        return Arrays.stream(values()).map(k -> k.label).toList();
    }
}
