package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.Consistency;
import io.cairn.client.KeyValue;
import io.cairn.client.ScanPage;
import io.cairn.client.ScanQuery;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "scan", mixinStandardHelpOptions = true,
        description = {"Prints one line KEY<TAB>VALUE per key, in byte order of keys, following pages up to"
                        + " --limit. Without --prefix, --from or --to: every key.",
                "Keys and values print as their bytes, or encoded with --hex or --base64 (which apply to --prefix,"
                        + " --from and --to too); --raw prints the bytes even so. A key or value holding a tab or"
                        + " newline makes lines ambiguous: use --hex or --json.",
                "--json prints one object per key (JSON Lines): {\"key\":\"a\",\"value\":\"b\",\"version\":1,"
                        + "\"create_revision\":5,\"mod_revision\":7}, with key_base64 or value_base64 instead for"
                        + " bytes that are not UTF-8."})
final class ScanCommand extends DataCommand {
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

    @Option(names = "--consistency", paramLabel = "LEVEL", converter = ConsistencyConverter.class,
            description = "" + ConsistencyConverter.DESCRIPTION)
    Consistency consistency = Consistency.LINEARIZABLE;

    @Option(names = "--keys-only", description = "Print keys alone (KEY lines; in --json, no value field).")
    boolean keysOnly;

    @Option(names = "--json", description = "One JSON object per key (see above).")
    boolean json;

    @Option(names = "--raw", description = "Print keys and values as they are, even with --hex / --base64.")
    boolean raw;

    private ScanQuery query;

    @Override
    void parse() {
        if (prefix != null && (from != null || to != null)) {
            throw new IllegalArgumentException("use either --prefix or --from/--to, not both");
        }
        if (raw && json) {
            throw new IllegalArgumentException("use either --raw or --json, not both");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must not be negative: " + limit);
        }
        // ScanQuery.range refuses a start after the end, in byte order.
        if (prefix != null) {
            query = ScanQuery.prefix(bound("--prefix", prefix));
        } else if (from != null || to != null) {
            query = ScanQuery.range(bound("--from", from), bound("--to", to));
        } else {
            query = ScanQuery.all();
        }
    }

    @Override
    int run(CairnClient client, PrintWriter err) {
        ScanQuery q = query.withConsistency(consistency);
        long printed = 0;
        while (limit == 0 || printed < limit) {
            long wanted = limit == 0 ? PAGE_KEYS_MAX : Math.min(PAGE_KEYS_MAX, limit - printed);
            ScanPage page = client.scan(q.withLimit((int) wanted));
            for (KeyValue kv : page.kvs()) {
                if (limit != 0 && printed == limit) {
                    break;
                }
                write(json ? KvJson.line(kv, !keysOnly) : textLine(raw ? ByteFormat.RAW : format, kv, !keysOnly));
                printed++;
            }
            if (!page.hasMore()) {
                break;
            }
            q = q.after(page);
        }
        return CairnCli.EXIT_OK;
    }

    /** {@code KEY<TAB>VALUE\n}, or {@code KEY\n}, each as {@code format} prints it. */
    static byte[] textLine(ByteFormat format, KeyValue kv, boolean withValue) {
        byte[] key = format.encode(kv.key());
        byte[] value = withValue ? format.encode(kv.value()) : null;
        ByteArrayOutputStream line = new ByteArrayOutputStream(key.length + (value == null ? 1 : value.length + 2));
        line.writeBytes(key);
        if (value != null) {
            line.write('\t');
            line.writeBytes(value);
        }
        line.write('\n');
        return line.toByteArray();
    }
}
