package io.cairn.cli;

import io.cairn.client.CairnClient;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "persist", mixinStandardHelpOptions = true,
        description = {"Removes KEY's TTL, so it never expires, keeping its value. Prints 1, or 0 and exits 1 when the"
                        + " key is absent (nothing changed).",
                "KEY is UTF-8 text, or hex or base64 with --hex or --base64."})
final class PersistCommand extends DataCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    private byte[] keyBytes;

    @Override
    void parse() {
        keyBytes = key("KEY", key);
    }

    @Override
    int run(CairnClient client, PrintWriter err) {
        boolean existed = client.persist(keyBytes);
        writeLine(existed ? "1" : "0");
        if (!existed) {
            err.println("key not found: " + ByteFormat.display(keyBytes));
        }
        return existed ? CairnCli.EXIT_OK : CairnCli.EXIT_NEGATIVE;
    }
}
