package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.Consistency;
import io.cairn.client.KeyValue;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "get", mixinStandardHelpOptions = true,
        description = {"Prints the value of KEY: its bytes alone, then a newline on a terminal only. An absent key"
                        + " prints nothing and exits 1. With --hex or --base64 (which apply to KEY too) the value"
                        + " prints encoded, then a newline; --raw prints its bytes even so.",
                "With several keys (one multi-get, each shard read once), prints KEY<TAB>VALUE for each key found,"
                        + " in the order given; absent keys are named on stderr and make the exit code 1. A key or"
                        + " value holding a tab or newline makes such lines ambiguous: use --hex or --json.",
                "--json prints one object per key (JSON Lines): {\"key\":\"a\",\"value\":\"b\",\"version\":1,"
                        + "\"create_revision\":5,\"mod_revision\":7,\"served_by\":\"n2\",\"read_level\":\"bounded\","
                        + "\"staleness_ms_max\":40}, with key_base64 or value_base64 instead for bytes that are not"
                        + " UTF-8; staleness_ms_max says the answer holds every write acknowledged longer ago than"
                        + " that (0: linearizable or lease, -1: unknown, eventual)."})
final class GetCommand extends DataCommand {
    @Parameters(index = "0..*", arity = "1..*", paramLabel = "KEY")
    List<String> keys;

    @Option(names = "--consistency", paramLabel = "LEVEL", converter = ConsistencyConverter.class,
            description = "" + ConsistencyConverter.DESCRIPTION)
    Consistency consistency = Consistency.LINEARIZABLE;

    @Option(names = "--json", description = "One JSON object per key found (see above).")
    boolean json;

    @Option(names = "--raw", description = "Print the value's bytes as they are, even with --hex / --base64.")
    boolean raw;

    private final List<byte[]> keyBytes = new ArrayList<>();

    @Override
    void parse() {
        if (keys.size() > CairnClient.MULTI_GET_KEYS_MAX) {
            throw new IllegalArgumentException("at most " + CairnClient.MULTI_GET_KEYS_MAX + " keys, got " + keys.size());
        }
        if (raw && json) {
            throw new IllegalArgumentException("use either --raw or --json, not both");
        }
        keyBytes.clear();
        keys.forEach(k -> keyBytes.add(key("KEY", k)));
    }

    @Override
    int run(CairnClient client, PrintWriter err) {
        if (keyBytes.size() == 1) {
            Optional<KeyValue> kv = client.get(keyBytes.get(0), consistency);
            if (kv.isEmpty()) {
                err.println("key not found: " + ByteFormat.display(keyBytes.get(0)));
                return CairnCli.EXIT_NEGATIVE;
            }
            if (json) {
                write(KvJson.line(kv.get(), true, true));
            } else {
                write(raw ? kv.get().value() : format.encode(kv.get().value()));
                if (!(raw || format.raw()) || io().terminal()) {
                    write(new byte[] {'\n'});
                }
            }
            return CairnCli.EXIT_OK;
        }
        List<Optional<KeyValue>> found = client.multiGet(keyBytes, consistency);
        int status = CairnCli.EXIT_OK;
        for (int i = 0; i < keyBytes.size(); i++) {
            if (found.get(i).isEmpty()) {
                err.println("key not found: " + ByteFormat.display(keyBytes.get(i)));
                status = CairnCli.EXIT_NEGATIVE;
            } else if (json) {
                write(KvJson.line(found.get(i).get(), true, true));
            } else {
                write(ScanCommand.textLine(raw ? ByteFormat.RAW : format, found.get(i).get(), true));
            }
        }
        return status;
    }
}
