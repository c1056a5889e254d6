package io.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.api.proto.Faults;
import io.cairn.common.NodeId;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fault suite's hooks: off and free by default, loopback only, and doing what they say. */
class FaultInjectionTest {
    @TempDir
    Path dir;

    @Test
    void faultInjectionIsRefusedOffLoopback() {
        TreeMap<NodeId, String> members = new TreeMap<>();
        members.put(NodeId.of(1), "0.0.0.0:7999");
        ServerConfig config = ServerConfig.of(NodeId.of(1), "0.0.0.0:7999", dir.resolve("data"), new ClusterSpec(members));
        assertThatThrownBy(() -> CairnServer.start(config, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("loopback");
    }

    @Test
    void productionNodesHaveNoFaultsAndCannotBeGivenAny() {
        FaultInjection none = FaultInjection.NONE;
        assertThat(none.reachable("127.0.0.1:1")).isTrue();
        assertThat(none.unsafeLocalReads()).isFalse();
        assertThatThrownBy(() -> none.set(Faults.newBuilder().setDiskFull(true).build()))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void blockedPeersAreUnreachableUntilTheFaultsAreReplaced() {
        FaultInjection faults = FaultInjection.enabled();
        faults.set(Faults.newBuilder().addBlockedAddresses("127.0.0.1:2").build());
        assertThat(faults.reachable("127.0.0.1:2")).isFalse();
        assertThat(faults.reachable("127.0.0.1:3")).isTrue();
        faults.set(Faults.getDefaultInstance());
        assertThat(faults.reachable("127.0.0.1:2")).isTrue();
    }

    @Test
    void aFullDiskFailsWalWritesWithEnospcAndRecoversWhenCleared() throws Exception {
        FaultInjection faults = FaultInjection.enabled();
        var io = faults.fileIo();
        try (var file = io.create(dir.resolve("segment"))) {
            faults.set(Faults.newBuilder().setDiskFull(true).build());
            assertThatThrownBy(() -> file.write(ByteBuffer.wrap(new byte[] {1}), 0))
                    .hasMessageContaining("No space left on device");
            faults.set(Faults.getDefaultInstance());
            file.write(ByteBuffer.wrap(new byte[] {1}), 0);
            assertThat(file.size()).isEqualTo(1);
        }
    }

    @Test
    void theWallClockOffsetMovesEpochTimeOnly() {
        FaultInjection faults = FaultInjection.enabled();
        faults.set(Faults.newBuilder().setClockOffsetMs(3_600_000).build());
        long shifted = faults.clock().epochMillis() - System.currentTimeMillis();
        assertThat(shifted).isBetween(3_600_000L - 1_000, 3_600_000L + 1_000);
        assertThatThrownBy(() -> faults.set(Faults.newBuilder().setFsyncDelayMs(-1).build()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
