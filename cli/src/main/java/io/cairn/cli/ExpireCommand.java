package io.cairn.cli;

import io.cairn.client.CairnClient;
import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "expire", mixinStandardHelpOptions = true,
        description = {"Gives KEY a TTL of DURATION from now (e.g. 30s, 5m, 1h), keeping its value: it is then deleted"
                        + " by the shard's leader, and reads stop seeing it at once. Prints 1, or 0 and exits 1 when"
                        + " the key is absent (nothing changed). A TTL change is a write of the key: its version moves"
                        + " and watchers see a put.",
                "KEY is UTF-8 text, or hex or base64 with --hex or --base64. See also persist and ttl."})
final class ExpireCommand extends DataCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "DURATION", converter = DurationConverter.class)
    Duration ttl;

    private byte[] keyBytes;

    @Override
    void parse() {
        keyBytes = key("KEY", key);
        if (ttl.isZero() || ttl.isNegative()) {
            throw new IllegalArgumentException("DURATION must be positive; to remove a TTL use persist");
        }
    }

    @Override
    int run(CairnClient client, PrintWriter err) {
        boolean existed = client.expire(keyBytes, ttl);
        writeLine(existed ? "1" : "0");
        if (!existed) {
            err.println("key not found: " + ByteFormat.display(keyBytes));
        }
        return existed ? CairnCli.EXIT_OK : CairnCli.EXIT_NEGATIVE;
    }
}
