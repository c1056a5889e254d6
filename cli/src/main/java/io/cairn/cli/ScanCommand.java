package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.Consistency;
import io.cairn.client.KeyValue;
import io.cairn.client.ScanPage;
import io.cairn.client.ScanQuery;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "scan", mixinStandardHelpOptions = true,
        description = {"Prints one line KEY<TAB>VALUE per key, in key order, following pages up to --limit.",
                "Without --prefix, --from or --to: every key."})
final class ScanCommand extends ClientCommand {
    /** Keys asked for per page: well under the server's cap, large enough to be cheap. */
    static final int PAGE_KEYS_MAX = 1_000;

    @Option(names = "--prefix", paramLabel = "P", description = "Keys starting with P.")
    String prefix;

    @Option(names = "--from", paramLabel = "A", description = "Keys at or after A.")
    String from;

    @Option(names = "--to", paramLabel = "B", description = "Keys before B (exclusive).")
    String to;

    @Option(names = "--limit", paramLabel = "N", description = "Print at most N keys. Default: all.")
    long limit;

    @Option(names = "--consistency", paramLabel = "LEVEL", description = "linearizable (default) or eventual.")
    Consistency consistency = Consistency.LINEARIZABLE;

    @Override
    void validate() {
        if (prefix != null && (from != null || to != null)) {
            throw new IllegalArgumentException("use either --prefix or --from/--to, not both");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must not be negative: " + limit);
        }
        // ScanQuery.range refuses a start after the end, in byte order.
        query();
    }

    @Override
    int run(CairnClient client, PrintWriter out, PrintWriter err) {
        ScanQuery query = query().withConsistency(consistency);
        long printed = 0;
        while (limit == 0 || printed < limit) {
            long wanted = limit == 0 ? PAGE_KEYS_MAX : Math.min(PAGE_KEYS_MAX, limit - printed);
            ScanPage page = client.scan(query.withLimit((int) wanted));
            for (KeyValue kv : page.kvs()) {
                if (limit != 0 && printed == limit) {
                    break;
                }
                out.println(kv.keyUtf8() + "\t" + kv.valueUtf8());
                printed++;
            }
            if (!page.hasMore()) {
                break;
            }
            query = query.after(page);
        }
        return CairnCli.EXIT_OK;
    }

    private ScanQuery query() {
        if (prefix != null) {
            return ScanQuery.prefix(prefix);
        }
        if (from != null || to != null) {
            return ScanQuery.range(from == null ? "" : from, to == null ? "" : to);
        }
        return ScanQuery.all();
    }
}
