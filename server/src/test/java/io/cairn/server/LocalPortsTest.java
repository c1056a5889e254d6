package io.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Ports for local clusters come from below the kernel's ephemeral range, where no outgoing
 * connection takes them. Found: the range was read as "3" (a /proc file's size is 0), so every
 * port came from the ephemeral range and a test node's port was taken by a connection.
 */
class LocalPortsTest {
    @Test
    void theEphemeralRangeIsReadWholeAndPortsComeFromBelowIt() {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        if (!Files.exists(range)) {
            assertThat(LocalPorts.ephemeralLow()).isEqualTo(32_768);
            return;
        }
        int low = LocalPorts.ephemeralLow();
        assertThat(low).isGreaterThan(LocalPorts.LOW + 1_000);
        for (int i = 0; i < 20; i++) {
            assertThat(LocalPorts.free()).isBetween(LocalPorts.LOW, low - 1);
        }
    }
}
