package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.KeyValue;
import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ttl", mixinStandardHelpOptions = true,
        description = {"Prints how long KEY has left, by the clock of the node that answered (a linearizable read),"
                        + " e.g. 29.871s; \"none\" when it has no TTL. An absent key prints nothing and exits 1.",
                "--json: {\"ttl_ms\":29871,\"expires_at_ms\":1764...} (expires_at_ms in the shard leader's time), or"
                        + " {\"ttl_ms\":null,\"expires_at_ms\":null} without a TTL.",
                "KEY is UTF-8 text, or hex or base64 with --hex or --base64."})
final class TtlCommand extends DataCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--json", description = "One JSON object (see above).")
    boolean json;

    private byte[] keyBytes;

    @Override
    void parse() {
        keyBytes = key("KEY", key);
    }

    @Override
    int run(CairnClient client, PrintWriter err) {
        Optional<KeyValue> kv = client.get(keyBytes);
        if (kv.isEmpty()) {
            err.println("key not found: " + ByteFormat.display(keyBytes));
            return CairnCli.EXIT_NEGATIVE;
        }
        long left = kv.get().ttlRemainingMillis();
        if (json) {
            writeLine(left == 0 ? "{\"ttl_ms\":null,\"expires_at_ms\":null}"
                    : "{\"ttl_ms\":" + left + ",\"expires_at_ms\":" + kv.get().expiresAtMillis() + "}");
        } else {
            writeLine(left == 0 ? "none" : String.format(java.util.Locale.ROOT, "%.3fs", left / 1000.0));
        }
        return CairnCli.EXIT_OK;
    }
}
