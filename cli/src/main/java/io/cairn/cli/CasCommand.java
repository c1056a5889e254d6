package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.CasFailedException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "cas", mixinStandardHelpOptions = true,
        description = {"Sets KEY to VALUE only if its version is EXPECTED_VERSION (0: the key must be absent)."
                        + " Prints the new version; on a mismatch prints the current version on stderr and exits 1.",
                "KEY and VALUE as for put: UTF-8 text, or --hex or --base64; VALUE - reads stdin, --file F a file."})
final class CasCommand extends DataCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "EXPECTED_VERSION")
    long expectedVersion;

    @Parameters(index = "2", arity = "0..1", paramLabel = "VALUE")
    String value;

    @Option(names = "--file", paramLabel = "F", description = "Read the value from file F (its bytes as they are).")
    Path file;

    private byte[] keyBytes;
    private byte[] valueBytes;

    @Override
    void parse() {
        if (expectedVersion < 0) {
            throw new IllegalArgumentException("EXPECTED_VERSION must not be negative: " + expectedVersion);
        }
        keyBytes = key("KEY", key);
        valueBytes = value(value, file);
    }

    @Override
    int run(CairnClient client, PrintWriter err) {
        try {
            writeLine(Long.toString(client.compareAndSet(keyBytes, expectedVersion, valueBytes)));
            return CairnCli.EXIT_OK;
        } catch (CasFailedException e) {
            err.println("cairn: version mismatch for " + ByteFormat.display(keyBytes) + ": expected " + expectedVersion
                    + ", current " + e.currentVersion() + (e.currentVersion() == 0 ? " (absent)" : ""));
            return CairnCli.EXIT_NEGATIVE;
        }
    }
}
