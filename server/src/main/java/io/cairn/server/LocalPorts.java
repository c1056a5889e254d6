package io.cairn.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports on 127.0.0.1 for local clusters (the fault suite, tests). A port the kernel hands
 * out for {@code bind(0)} comes from its ephemeral range, the same range every outgoing connection
 * takes its local port from: between picking such a port and a node binding it, a peer's or
 * client's connection may take it ("address already in use"). These ports come from below that
 * range, so only another listener can take them, and the pick checks that none has.
 */
public final class LocalPorts {
    /** The lowest port handed out: above the well-known and most registered service ports. */
    static final int LOW = 10_000;
    private static final int ATTEMPTS = 200;

    private LocalPorts() {}

    /** A port no socket listens on now, below the ephemeral range when there is room. */
    public static int free() {
        int ephemeralLow = ephemeralLow();
        for (int i = 0; i < ATTEMPTS && ephemeralLow - LOW > 1_000; i++) {
            int port = LOW + ThreadLocalRandom.current().nextInt(ephemeralLow - LOW);
            if (bindable(port)) {
                return port;
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The start of the kernel's ephemeral range (Linux), or 32768 where it cannot be read. */
    static int ephemeralLow() {
        try {
            // Read to the end of the stream: a /proc file reports size 0, and a read sized by it
            // (Files.readString) returned only the first byte here, "3".
            String range;
            try (java.io.InputStream in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
                range = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim();
            }
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
