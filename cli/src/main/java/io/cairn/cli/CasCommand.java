package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.CasFailedException;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "cas", mixinStandardHelpOptions = true,
        description = {"Sets KEY to VALUE only if its version is EXPECTED_VERSION (0: the key must be absent).",
                "Prints the new version; on a mismatch prints the current version on stderr and exits 1."})
final class CasCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "EXPECTED_VERSION")
    long expectedVersion;

    @Parameters(index = "2", paramLabel = "VALUE")
    String value;

    @Override
    void validate() {
        checkKey(key);
        checkValue(value);
        if (expectedVersion < 0) {
            throw new IllegalArgumentException("EXPECTED_VERSION must not be negative: " + expectedVersion);
        }
    }

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) {
        try {
            out.println(client.compareAndSet(utf8(key), expectedVersion, utf8(value)));
            return CairnCli.EXIT_OK;
        } catch (CasFailedException e) {
            err.println("cairn: version mismatch for " + key + ": expected " + expectedVersion + ", current "
                    + e.currentVersion() + (e.currentVersion() == 0 ? " (absent)" : ""));
            return CairnCli.EXIT_NEGATIVE;
        }
    }
}
