package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.KvGrpc;
import io.cairn.client.CairnClient;
import io.cairn.client.Consistency;
import io.cairn.client.KeyValue;
import io.cairn.client.ReadBalancing;
import io.cairn.common.NodeId;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The four read levels against three in-process nodes, and replica reads spread by a policy:
 * every answer says who served it and how stale it could be, and that claim holds.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReadLevelsTest {
    @TempDir
    Path dir;

    private static CairnClient client(InProcessNodes nodes, ReadBalancing policy) {
        return CairnClient.builder().endpoints(List.copyOf(nodes.spec.addresses().values()))
                .requestTimeout(Duration.ofSeconds(10)).readBalancing(policy).build();
    }

    @Test
    void everyLevelSaysHowFreshItsAnswerIsAndABoundedAnswerMissesNoWriteOlderThanItSays() throws Exception {
        try (InProcessNodes nodes = new InProcessNodes(dir, 3, 2).startAll();
             CairnClient client = client(nodes, ReadBalancing.ROUND_ROBIN)) {
            client.put("k", "v0");
            KeyValue linearizable = client.get("k", Consistency.LINEARIZABLE).orElseThrow();
            assertThat(linearizable.servedAt()).isEqualTo(Consistency.Level.LINEARIZABLE);
            assertThat(linearizable.stalenessMillisMax()).isZero();
            KeyValue lease = client.get("k", Consistency.LEASE).orElseThrow();
            assertThat(lease.servedAt()).isEqualTo(Consistency.Level.LEASE);
            assertThat(lease.stalenessMillisMax()).isZero();
            assertThat(lease.valueUtf8()).isEqualTo("v0");
            KeyValue eventual = client.get("k", Consistency.EVENTUAL).orElseThrow();
            assertThat(eventual.servedAt()).isEqualTo(Consistency.Level.EVENTUAL);
            assertThat(eventual.stalenessMillisMax()).isEqualTo(-1);

            // Writes and BOUNDED reads spread over the three replicas interleave. An answer that
            // shows v(j) missed v(j+1): it must admit to being at least as stale as the time from
            // that write's acknowledgement to the read's call.
            Consistency bounded = Consistency.bounded(Duration.ofMillis(300));
            int writes = 300;
            long[] ackedNanos = new long[writes + 1];
            int local = 0;
            int missed = 0;
            for (int i = 1; i <= writes; i++) {
                client.put("k", "v" + i);
                ackedNanos[i] = System.nanoTime();
                long callNanos = System.nanoTime();
                KeyValue kv = client.get("k", bounded).orElseThrow();
                assertThat(kv.stalenessMillisMax()).isBetween(0L, 300L);
                if (kv.servedAt() == Consistency.Level.BOUNDED) {
                    local++;
                }
                int seen = Integer.parseInt(kv.valueUtf8().substring(1));
                assertThat(seen).isLessThanOrEqualTo(i);
                if (seen < i) {
                    missed++;
                    assertThat(kv.servedAt()).as("only a read served from a replica's own state may miss a write")
                            .isEqualTo(Consistency.Level.BOUNDED);
                    long missedForMillis = TimeUnit.NANOSECONDS.toMillis(callNanos - ackedNanos[seen + 1]);
                    assertThat(kv.stalenessMillisMax()).as("%s missed v%s, acknowledged %s ms before the read",
                            kv, seen + 1, missedForMillis).isGreaterThanOrEqualTo(missedForMillis);
                }
            }
            assertThat(local).as("replicas served most bounded reads from their own state").isGreaterThan(150);
            assertThat(missed).as("reads that missed a write (allowed within the bound)").isLessThanOrEqualTo(writes);
            assertThat(client.replicaReadsServed()).as("round-robin reached every replica").hasSize(3);
        }
    }

    @Test
    void replicaReadsSpreadByPolicyAndStopGoingToAStoppedNode() throws Exception {
        try (InProcessNodes nodes = new InProcessNodes(dir, 3, 1).startAll();
             CairnClient client = client(nodes, ReadBalancing.ROUND_ROBIN)) {
            client.put("spread", "x");
            Awaitility.await("the replica list is known").atMost(Duration.ofSeconds(20)).until(() -> {
                client.get("spread", Consistency.EVENTUAL);
                return client.replicaReadsServed().size() == 3;
            });
            Map<String, Long> before = client.replicaReadsServed();
            for (int i = 0; i < 300; i++) {
                assertThat(client.get("spread", Consistency.EVENTUAL)).isPresent();
            }
            Map<String, Long> after = client.replicaReadsServed();
            for (String address : after.keySet()) {
                assertThat(after.get(address) - before.getOrDefault(address, 0L)).as(address).isBetween(90L, 110L);
            }
            String stopped = nodes.spec.address(NodeId.of(3));
            nodes.stop(3);
            for (int i = 0; i < 100; i++) {
                Optional<KeyValue> kv = client.get("spread", Consistency.EVENTUAL);
                assertThat(kv).as("a read that met the stopped node went on to another").isPresent();
                assertThat(kv.get().servedBy()).isNotEqualTo(3);
            }
            long servedByStopped = client.replicaReadsServed().getOrDefault(stopped, 0L);
            assertThat(servedByStopped).isEqualTo(after.get(stopped));
        }
    }

    @Test
    void badReadLevelsAreRefusedAndChangeNothing() throws Exception {
        try (InProcessNodes nodes = new InProcessNodes(dir, 3, 1).startAll(); CairnClient client = nodes.client()) {
            client.put("bad", "kept");
            ManagedChannel channel = NettyChannelBuilder.forTarget(nodes.spec.address(NodeId.of(1))).usePlaintext().build();
            try {
                KvGrpc.KvBlockingStub stub = KvGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
                GetRequest noBound = GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("bad"))
                        .setConsistency(io.cairn.api.proto.Consistency.CONSISTENCY_BOUNDED).build();
                assertThatThrownBy(() -> stub.get(noBound)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("max_staleness_ms from 1 to 3600000");
                });
                GetRequest boundOnLinearizable = noBound.toBuilder()
                        .setConsistency(io.cairn.api.proto.Consistency.CONSISTENCY_LINEARIZABLE).setMaxStalenessMs(10).build();
                assertThatThrownBy(() -> stub.get(boundOnLinearizable)).isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
                var served = stub.get(noBound.toBuilder().setMaxStalenessMs(1_000).build());
                assertThat(served.getKv().getValue().toStringUtf8()).isEqualTo("kept");
                assertThat(served.getHeader().getReadLevel()).isIn(io.cairn.api.proto.Consistency.CONSISTENCY_BOUNDED,
                        io.cairn.api.proto.Consistency.CONSISTENCY_LINEARIZABLE);
            } finally {
                channel.shutdownNow();
            }
            assertThat(client.get("bad").orElseThrow().valueUtf8()).isEqualTo("kept");
        }
    }
}
