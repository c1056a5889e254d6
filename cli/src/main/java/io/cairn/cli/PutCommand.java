package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.WriteResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "put", mixinStandardHelpOptions = true,
        description = {"Sets KEY to VALUE; prints OK with the key's new version and revision.",
                "KEY and VALUE are UTF-8 text, or hex or base64 with --hex or --base64. An argument that is not"
                        + " valid UTF-8 is refused, and so is one holding U+FFFD (what the JVM makes of such bytes):"
                        + " give those with --hex.",
                "VALUE - reads the value from stdin, --file F from F: raw bytes up to the 1 MiB limit, empty"
                        + " allowed. Put -- before a KEY or VALUE that starts with -."})
final class PutCommand extends DataCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE")
    String value;

    @Option(names = "--file", paramLabel = "F", description = "Read the value from file F (its bytes as they are).")
    Path file;

    @Option(names = "--ttl", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Expire the key after this long, e.g. 10s. Default: never.")
    Duration ttl;

    private byte[] keyBytes;
    private byte[] valueBytes;

    @Override
    void parse() {
        if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
            throw new IllegalArgumentException("--ttl must be positive, e.g. 30s (leave it out for a key that never expires)");
        }
        keyBytes = key("KEY", key);
        valueBytes = value(value, file);
    }

    @Override
    int run(CairnClient client, PrintWriter err) {
        WriteResult w = client.put(keyBytes, valueBytes, ttl == null ? Duration.ZERO : ttl);
        writeLine("OK version=" + w.version() + " revision=" + w.modRevision());
        return CairnCli.EXIT_OK;
    }
}
