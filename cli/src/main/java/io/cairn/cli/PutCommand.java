package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.WriteResult;
import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "put", mixinStandardHelpOptions = true,
        description = "Sets KEY to VALUE; prints OK with the key's new version and revision.")
final class PutCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "VALUE")
    String value;

    @Option(names = "--ttl", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Expire the key after this long, e.g. 10s. Default: never.")
    Duration ttl = Duration.ZERO;

    @Override
    void validate() {
        checkKey(key);
        checkValue(value);
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("--ttl must not be negative");
        }
    }

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) {
        WriteResult w = client.put(utf8(key), utf8(value), ttl);
        out.println("OK version=" + w.version() + " revision=" + w.modRevision());
        return CairnCli.EXIT_OK;
    }
}
