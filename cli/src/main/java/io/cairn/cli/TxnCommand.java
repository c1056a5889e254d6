package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.KeyValue;
import io.cairn.client.TxnResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "txn", mixinStandardHelpOptions = true,
        description = {"Runs a transaction read from stdin (or --file F): if every compare holds, the second part's"
                        + " operations, else the third part's, atomically: in one Raft entry when every key hashes to"
                        + " one shard (give them the same {tag}), else as a cross-shard transaction retried on"
                        + " conflicts. The parts are separated by a blank line:",
                "  version(\"{o}stock\") = 0      compares: version, create, mod, value or lock (token), = != < >",
                "  value({o}state) = \"open\"",
                "",
                "  put {o}stock 5                then: put KEY VALUE, del KEY, get KEY",
                "  put {o}log \"created by me\"",
                "",
                "  get {o}stock                  else",
                "Quote tokens with spaces (\\\" \\\\ \\n \\t escapes); # starts a comment; no compares: start with a"
                        + " blank line. Prints SUCCESS or FAILURE (with the compare that failed) and the revision, then"
                        + " one line per operation: OK for a put, deleted or absent for a del, KEY<TAB>VALUE or"
                        + " (absent) KEY for a get. Exits 0 when the then-part ran, 1 when the else-part ran.",
                "--json prints {\"succeeded\":true,\"failed_compare\":-1,\"revision\":7,\"results\":[{\"op\":\"put\","
                        + "\"mod_revision\":7,\"version\":1},{\"op\":\"del\",\"deleted\":true},{\"op\":\"get\",\"kv\":{...}}]}"
                        + " (kv null when absent)."})
final class TxnCommand extends DataCommand {
    /** A script is a few lines; this bounds what is read before anything is parsed. */
    private static final int SCRIPT_BYTES_MAX = 8 * 1024 * 1024;

    @Option(names = "--file", paramLabel = "F", description = "Read the script from file F instead of stdin.")
    Path file;

    @Option(names = "--json", description = "Print the outcome as one JSON object (see above).")
    boolean json;

    private TxnScript script;

    @Override
    void parse() {
        String text;
        try {
            byte[] raw = file != null ? Files.readAllBytes(file) : io().in().readNBytes(SCRIPT_BYTES_MAX + 1);
            if (raw.length > SCRIPT_BYTES_MAX) {
                throw new IllegalArgumentException("the txn script is over " + SCRIPT_BYTES_MAX + " bytes");
            }
            text = new String(raw, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the txn script: " + e.getMessage());
        }
        script = TxnScript.parse(text, (what, token) -> format.decode(what, token, StandardCharsets.UTF_8));
    }

    @Override
    int run(CairnClient client, PrintWriter err) {
        TxnResult r = client.txn().when(script.compares.toArray(io.cairn.client.Compare[]::new))
                .then(script.success.toArray(io.cairn.client.TxnOp[]::new))
                .orElse(script.failure.toArray(io.cairn.client.TxnOp[]::new)).commit();
        if (json) {
            write(json(r));
        } else {
            writeLine(r.succeeded() ? "SUCCESS" : "FAILURE: " + script.compares.get(r.failedCompare())
                    + " did not hold");
            writeLine("revision " + r.revision());
            var ops = r.succeeded() ? script.success : script.failure;
            for (int i = 0; i < r.results().size(); i++) {
                text(r.results().get(i), ops.get(i).key());
            }
        }
        return r.succeeded() ? CairnCli.EXIT_OK : CairnCli.EXIT_NEGATIVE;
    }

    private void text(TxnResult.OpResult op, byte[] key) {
        if (op instanceof TxnResult.Written) {
            writeLine("OK");
        } else if (op instanceof TxnResult.Deleted d) {
            writeLine(d.existed() ? "deleted" : "absent");
        } else if (op instanceof TxnResult.Read read) {
            if (read.kv().isEmpty()) {
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                line.writeBytes("(absent) ".getBytes(StandardCharsets.US_ASCII));
                line.writeBytes(format.encode(key));
                line.write('\n');
                write(line.toByteArray());
                return;
            }
            KeyValue kv = read.kv().get();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            line.writeBytes(format.encode(kv.key()));
            line.write('\t');
            line.writeBytes(format.encode(kv.value()));
            line.write('\n');
            write(line.toByteArray());
        }
    }

    private static byte[] json(TxnResult r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("{\"succeeded\":" + r.succeeded() + ",\"failed_compare\":" + r.failedCompare()
                + ",\"revision\":" + r.revision() + ",\"results\":[").getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < r.results().size(); i++) {
            TxnResult.OpResult op = r.results().get(i);
            String head = i == 0 ? "{" : ",{";
            if (op instanceof TxnResult.Written w) {
                out.writeBytes((head + "\"op\":\"put\",\"mod_revision\":" + w.modRevision() + ",\"version\":"
                        + w.version() + "}").getBytes(StandardCharsets.US_ASCII));
            } else if (op instanceof TxnResult.Deleted d) {
                out.writeBytes((head + "\"op\":\"del\",\"deleted\":" + d.existed() + "}").getBytes(StandardCharsets.US_ASCII));
            } else if (op instanceof TxnResult.Read read) {
                out.writeBytes((head + "\"op\":\"get\",\"kv\":").getBytes(StandardCharsets.US_ASCII));
                if (read.kv().isPresent()) {
                    byte[] line = KvJson.line(read.kv().get(), true);
                    out.write(line, 0, line.length - 1);
                } else {
                    out.writeBytes("null".getBytes(StandardCharsets.US_ASCII));
                }
                out.write('}');
            }
        }
        out.writeBytes("]}\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
