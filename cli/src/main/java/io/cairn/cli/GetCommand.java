package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.Consistency;
import io.cairn.client.KeyValue;
import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "get", mixinStandardHelpOptions = true,
        description = "Prints the value of KEY alone; an absent key prints nothing and exits 1.")
final class GetCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--consistency", paramLabel = "LEVEL",
            description = "linearizable (default: confirmed with the leader) or eventual (any replica, maybe stale).")
    Consistency consistency = Consistency.LINEARIZABLE;

    @Override
    void validate() {
        checkKey(key);
    }

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) {
        Optional<KeyValue> kv = client.get(utf8(key), consistency);
        if (kv.isEmpty()) {
            err.println("key not found: " + key);
            return CairnCli.EXIT_NEGATIVE;
        }
        out.println(kv.get().valueUtf8());
        return CairnCli.EXIT_OK;
    }
}
