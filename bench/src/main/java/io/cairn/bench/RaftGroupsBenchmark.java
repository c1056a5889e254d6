package io.cairn.bench;

import io.cairn.common.Bytes;
import io.cairn.common.NodeId;
import io.cairn.common.SeededRandom;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.MemoryLogStorage;
import io.cairn.consensus.Ready;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftMessage;
import io.cairn.raft.RaftNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What one node pays for hosting 1,000 Raft groups, with no I/O (storage is in memory).
 *
 * <ul>
 *   <li>{@code idleFollowerTick1000}: one tick of 1,000 follower groups with nothing to do (the
 *       election timeout is set far away so none campaigns): the floor cost of an idle group.</li>
 *   <li>{@code followerAppendStep}: a follower steps one AppendEntries carrying one 256-byte
 *       entry, then takes, persists (in memory) and advances its Ready: the per-entry core cost
 *       on the replica side.</li>
 * </ul>
 * Run: {@code bench/run-jmh RaftGroupsBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RaftGroupsBenchmark {
    private static final int GROUPS = 1000;
    private static final NodeId LEADER = NodeId.of(1);
    private static final NodeId SELF = NodeId.of(2);

    private final List<RaftNode> idleGroups = new ArrayList<>();
    private RaftNode follower;
    private MemoryLogStorage followerStorage;
    private long nextIndex;
    private final Bytes value = Bytes.wrap(new byte[256]);

    @Setup(Level.Trial)
    public void setUp() {
        ConfState conf = ConfState.ofVoters(NodeId.of(1), NodeId.of(2), NodeId.of(3));
        SeededRandom random = new SeededRandom(1);
        RaftConfig quiet = RaftConfig.defaults(SELF).withElection(Integer.MAX_VALUE / 4, 1);
        for (int i = 0; i < GROUPS; i++) {
            idleGroups.add(new RaftNode(quiet, new MemoryLogStorage(conf), random.fork()));
        }
        followerStorage = new MemoryLogStorage(conf);
        follower = new RaftNode(quiet, followerStorage, random.fork());
        nextIndex = 1;
    }

    @Benchmark
    @OperationsPerInvocation(GROUPS)
    public void idleFollowerTick1000(Blackhole bh) {
        for (int i = 0; i < GROUPS; i++) {
            RaftNode n = idleGroups.get(i);
            n.tick();
            bh.consume(n.hasReady());
        }
    }

    @Benchmark
    public void followerAppendStep(Blackhole bh) {
        long index = nextIndex++;
        LogEntry entry = LogEntry.normal(index, 1, value);
        follower.step(new RaftMessage.AppendEntries(LEADER, SELF, 1, index - 1, index == 1 ? 0 : 1,
                List.of(entry), index - 1));
        Ready rd = follower.ready();
        followerStorage.append(rd.entries());
        if (rd.hardState() != null) {
            followerStorage.setHardState(rd.hardState());
        }
        bh.consume(rd.messagesAfterPersist());
        follower.advance(rd);
        if (index % 10_000 == 0) {
            followerStorage.compact(index - 1, followerStorage.snapshotConf(), Bytes.EMPTY);
        }
    }
}
