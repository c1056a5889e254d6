package io.cairn.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cairn.api.proto.RaftEnvelope;
import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.EntryType;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.SnapshotMeta;
import io.cairn.raft.RaftMessage;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RaftCodecTest {
    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N2 = NodeId.of(2);
    /** Random messages per property; a few thousand run in well under a second. */
    private static final long SEEDS = 5_000;

    /** One message of every kind, with every field away from its default. */
    static List<RaftMessage> oneOfEachKind() {
        ConfState joint = new ConfState(ids(1, 2, 4), ids(1, 2, 3), ids(5));
        return List.of(
                new RaftMessage.VoteRequest(N1, N2, 7, true, 40, 6, true),
                new RaftMessage.VoteResponse(N2, N1, 7, true, true),
                new RaftMessage.AppendEntries(N1, N2, 7, 39, 6, List.of(
                        LogEntry.normal(40, 7, Bytes.utf8("put k v")),
                        LogEntry.normal(41, 7, Bytes.EMPTY),
                        new LogEntry(42, 7, EntryType.CONFIG, joint.encode())), 38),
                new RaftMessage.AppendResponse(N2, N1, 7, 39, true, 30, 5),
                new RaftMessage.Heartbeat(N1, N2, 7, 38, 12, 1_000),
                new RaftMessage.HeartbeatResponse(N2, N1, 7, 12, 1_000),
                new RaftMessage.InstallSnapshot(N1, N2, 7, new SnapshotMeta(100, 6, joint), 4096,
                        Bytes.wrap(new byte[] {0, 1, (byte) 0xff}), true),
                new RaftMessage.SnapshotChunkResponse(N2, N1, 7, 100, 8192),
                new RaftMessage.TimeoutNow(N1, N2, 7),
                new RaftMessage.ReadIndexRequest(N2, N1, 7, 99),
                new RaftMessage.ReadIndexResponse(N1, N2, 7, 99, 38));
    }

    @Test
    void everyKindRoundTripsExactly() {
        for (RaftMessage m : oneOfEachKind()) {
            assertThat(roundTrip(new GroupId(3), m)).isEqualTo(new RaftCodec.Addressed(new GroupId(3), m));
        }
    }

    @Test
    void examplesCoverEveryPermittedKind() {
        Set<Class<?>> covered = oneOfEachKind().stream().map(Object::getClass).collect(Collectors.toSet());
        assertThat(covered).containsExactlyInAnyOrder(RaftMessage.class.getPermittedSubclasses());
    }

    @Test
    void extremeValuesSurviveTheUnsignedWireTypes() {
        RaftMessage m = new RaftMessage.AppendResponse(NodeId.of(Long.MAX_VALUE), N1, Long.MAX_VALUE,
                -1, false, Long.MIN_VALUE, 0);
        assertThat(roundTrip(new GroupId(Long.MAX_VALUE), m).message()).isEqualTo(m);
    }

    @Test
    void messageOfUnknownKindIsRejected() {
        io.cairn.api.proto.RaftMessage p = io.cairn.api.proto.RaftMessage.newBuilder()
                .setFromNode(1).setToNode(2).setTerm(3).build();
        assertThatThrownBy(() -> RaftCodec.decode(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown kind");
    }

    @Test
    void malformedFieldsAreRejectedNotPassedOn() {
        io.cairn.api.proto.RaftMessage valid = RaftCodec.encode(oneOfEachKind().get(2));
        io.cairn.api.proto.RaftMessage noSender = valid.toBuilder().setFromNode(0).build();
        io.cairn.api.proto.RaftMessage untypedEntry = valid.toBuilder().setAppendEntries(
                valid.getAppendEntries().toBuilder().setEntries(0, valid.getAppendEntries().getEntries(0)
                        .toBuilder().setType(io.cairn.api.proto.EntryType.ENTRY_TYPE_UNSPECIFIED))).build();
        io.cairn.api.proto.RaftMessage zeroIndex = valid.toBuilder().setAppendEntries(
                valid.getAppendEntries().toBuilder().setEntries(0, valid.getAppendEntries().getEntries(0)
                        .toBuilder().setIndex(0))).build();
        for (io.cairn.api.proto.RaftMessage bad : List.of(noSender, untypedEntry, zeroIndex)) {
            assertThatThrownBy(() -> RaftCodec.decode(bad)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> RaftCodec.decode(RaftEnvelope.newBuilder().setGroupId(1).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no message");
    }

    /**
     * Property: every message survives the wire exactly. Each seed is one message of one kind;
     * a failure names its seed, and {@code new RandomMessages(seed)} replays it.
     */
    @Test
    void randomMessagesRoundTripThroughTheWire() {
        for (long seed = 0; seed < SEEDS; seed++) {
            RandomMessages random = new RandomMessages(seed);
            RaftMessage message = random.next((int) (seed % RandomMessages.kindCount()));
            GroupId group = new GroupId(random.positive() - 1);
            assertThat(roundTrip(group, message)).as("seed %d", seed)
                    .isEqualTo(new RaftCodec.Addressed(group, message));
        }
    }

    /** Property: the sender's queue limit may rely on the size bound. */
    @Test
    void sizeBoundCoversTheEncodingOfRandomMessages() {
        for (long seed = 0; seed < SEEDS; seed++) {
            RandomMessages random = new RandomMessages(seed);
            RaftMessage message = random.next((int) (seed % RandomMessages.kindCount()));
            GroupId group = new GroupId(random.positive() - 1);
            assertThat(RaftCodec.sizeUpperBoundBytes(message)).as("seed %d", seed)
                    .isGreaterThanOrEqualTo(RaftCodec.encode(group, message).getSerializedSize());
        }
    }

    @Test
    void randomGeneratorCoversEveryKind() {
        Set<Class<?>> kinds = new HashSet<>();
        for (int kind = 0; kind < RandomMessages.kindCount(); kind++) {
            kinds.add(new RandomMessages(kind).next(kind).getClass());
        }
        assertThat(kinds).containsExactlyInAnyOrder(RaftMessage.class.getPermittedSubclasses());
    }

    private static RaftCodec.Addressed roundTrip(GroupId group, RaftMessage message) {
        byte[] wire = RaftCodec.encode(group, message).toByteArray();
        try {
            return RaftCodec.decode(RaftEnvelope.parseFrom(wire));
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static TreeSet<NodeId> ids(long... values) {
        TreeSet<NodeId> ids = new TreeSet<>();
        for (long v : values) {
            ids.add(NodeId.of(v));
        }
        return ids;
    }
}
