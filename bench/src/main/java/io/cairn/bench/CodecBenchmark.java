package io.cairn.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.api.proto.PutRequest;
import io.cairn.api.proto.RaftEnvelope;
import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.LogEntry;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.CommandEnvelope;
import io.cairn.raft.RaftMessage;
import io.cairn.transport.grpc.RaftCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding a request to bytes and decoding it back, for the three encodings a write passes
 * through. Each operation is one whole round trip, so each score is encode plus decode.
 *
 * <ul>
 *   <li>{@code putRequestRoundTrip}: the client's {@link PutRequest} protobuf with a 16-byte key,
 *       a 256-byte value, a client id and a sequence: built from the caller's byte arrays (copied
 *       into {@link ByteString}s, as the client does), serialised with {@code toByteArray}, and
 *       parsed back with {@code parseFrom}.</li>
 *   <li>{@code commandEnvelopeRoundTrip}: the same put as a {@link CommandEnvelope} with a
 *       session, the bytes a log entry carries: {@code encode()} then
 *       {@link CommandEnvelope#decode}.</li>
 *   <li>{@code appendEntriesRoundTrip}: a Raft {@link RaftMessage.AppendEntries} carrying 16
 *       entries of 256 bytes, as one peer sends another: {@link RaftCodec#encode(GroupId,
 *       RaftMessage)} to a {@link RaftEnvelope}, {@code toByteArray}, {@code parseFrom}, and
 *       {@link RaftCodec#decode(RaftEnvelope)}.</li>
 * </ul>
 * No I/O and no gRPC framing: the per-message CPU cost only.
 *
 * <p>Run: {@code bench/run-jmh CodecBenchmark} (add {@code -prof gc} for bytes allocated per
 * round trip).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {
    static final int KEY_BYTES = 16;
    static final int VALUE_BYTES = 256;
    static final int APPEND_ENTRIES = 16;
    private static final long CLIENT_ID = 42;
    private static final long LEADER_MILLIS = 1_700_000_000_000L;
    private static final GroupId GROUP = new GroupId(7);

    private byte[] key;
    private byte[] value;
    private Bytes keyBytes;
    private Bytes valueBytes;
    private RaftMessage.AppendEntries append;
    private long sequence;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        key = new byte[KEY_BYTES];
        value = new byte[VALUE_BYTES];
        random.nextBytes(key);
        random.nextBytes(value);
        keyBytes = Bytes.copyOf(key);
        valueBytes = Bytes.copyOf(value);
        long prevIndex = 1_000_000;
        List<LogEntry> entries = new ArrayList<>(APPEND_ENTRIES);
        for (int i = 0; i < APPEND_ENTRIES; i++) {
            byte[] data = new byte[VALUE_BYTES];
            random.nextBytes(data);
            entries.add(LogEntry.normal(prevIndex + 1 + i, 5, Bytes.wrap(data)));
        }
        append = new RaftMessage.AppendEntries(NodeId.of(1), NodeId.of(2), 5, prevIndex, 5, entries, prevIndex);
        sequence = 1;
    }

    @Benchmark
    public PutRequest putRequestRoundTrip() throws InvalidProtocolBufferException {
        byte[] wire = PutRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setValue(ByteString.copyFrom(value))
                .setClientId(CLIENT_ID)
                .setSequence(sequence++)
                .build()
                .toByteArray();
        return PutRequest.parseFrom(wire);
    }

    @Benchmark
    public CommandEnvelope commandEnvelopeRoundTrip() {
        Command.Put put = new Command.Put(keyBytes, valueBytes, 0);
        Bytes data = new CommandEnvelope(CLIENT_ID, sequence++, LEADER_MILLIS, put).encode();
        return CommandEnvelope.decode(data);
    }

    @Benchmark
    public RaftCodec.Addressed appendEntriesRoundTrip() throws InvalidProtocolBufferException {
        byte[] wire = RaftCodec.encode(GROUP, append).toByteArray();
        return RaftCodec.decode(RaftEnvelope.parseFrom(wire));
    }
}
