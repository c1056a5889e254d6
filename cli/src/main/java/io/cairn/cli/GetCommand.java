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
        description = {"Prints the value of KEY alone; an absent key prints nothing and exits 1.",
                "With several keys (one multi-get, each shard read once), prints KEY<TAB>VALUE for each key",
                "found, in the order given; absent keys are named on stderr and make the exit code 1."})
final class GetCommand extends ClientCommand {
    @Parameters(index = "0..*", arity = "1..*", paramLabel = "KEY")
    java.util.List<String> keys;

    @Option(names = "--consistency", paramLabel = "LEVEL",
            description = "linearizable (default: confirmed with the leader) or eventual (any replica, maybe stale).")
    Consistency consistency = Consistency.LINEARIZABLE;

    @Override
    void validate() {
        if (keys.size() > CairnClient.MULTI_GET_KEYS_MAX) {
            throw new IllegalArgumentException("at most " + CairnClient.MULTI_GET_KEYS_MAX + " keys, got " + keys.size());
        }
        keys.forEach(ClientCommand::checkKey);
    }

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) {
        if (keys.size() == 1) {
            Optional<KeyValue> kv = client.get(utf8(keys.get(0)), consistency);
            if (kv.isEmpty()) {
                err.println("key not found: " + keys.get(0));
                return CairnCli.EXIT_NEGATIVE;
            }
            out.println(kv.get().valueUtf8());
            return CairnCli.EXIT_OK;
        }
        java.util.List<byte[]> asked = keys.stream().map(ClientCommand::utf8).toList();
        java.util.List<Optional<KeyValue>> found = client.multiGet(asked, consistency);
        int status = CairnCli.EXIT_OK;
        for (int i = 0; i < keys.size(); i++) {
            if (found.get(i).isPresent()) {
                out.println(keys.get(i) + "\t" + found.get(i).get().valueUtf8());
            } else {
                err.println("key not found: " + keys.get(i));
                status = CairnCli.EXIT_NEGATIVE;
            }
        }
        return status;
    }
}
