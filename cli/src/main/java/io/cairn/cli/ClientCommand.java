package io.cairn.cli;

import io.cairn.client.CairnClient;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that talks to the cluster through a {@link CairnClient} built from the global options. */
abstract class ClientCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        // Arguments are checked before a client (and any connection) exists.
        validate();
        CairnCli root = CairnCli.root(spec);
        if (!root.verbose) {
            CairnCli.quietGrpcLogs();
        }
        try (CairnClient client = newClient(root)) {
            return run(client, spec.commandLine().getOut(), spec.commandLine().getErr());
        } finally {
            root.flushStdout();
        }
    }

    /** The client of this command, from the global options; a command with needs of its own overrides it. */
    CairnClient newClient(CairnCli root) {
        return root.client();
    }

    /** Throws IllegalArgumentException for input the server would refuse; nothing is sent then. */
    void validate() {}

    abstract int run(CairnClient client, PrintWriter out, PrintWriter err) throws Exception;

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void requireNonEmpty(String what, String s) {
        if (s.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
    }

    static void requireAtMost(String what, String s, int bytesMax) {
        int bytes = utf8(s).length;
        if (bytes > bytesMax) {
            throw new IllegalArgumentException(what + " is " + bytes + " bytes, over the limit " + bytesMax);
        }
    }

    static void checkKey(String key) {
        requireNonEmpty("key", key);
        requireAtMost("key", key, CairnClient.KEY_BYTES_MAX_DEFAULT);
    }
}
