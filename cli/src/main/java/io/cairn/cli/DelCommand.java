package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.CairnUnavailableException;
import io.cairn.client.KeyValue;
import io.cairn.client.ScanPage;
import io.cairn.client.ScanQuery;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "del", mixinStandardHelpOptions = true,
        description = {"Deletes KEY; prints 1 if it existed, 0 if it was already absent.",
                "--prefix P deletes every key starting with P and prints how many it deleted. It counts them first"
                        + " and asks on a terminal; without one it needs --yes. Not atomic: a key written under P"
                        + " meanwhile may stay.",
                "KEY and P are UTF-8 text, or hex or base64 with --hex or --base64."})
final class DelCommand extends DataCommand {
    /** Deletes in flight at once: the client's write sessions (64) stay busy without a long queue. */
    static final int DELETES_IN_FLIGHT = 256;

    @Parameters(index = "0", arity = "0..1", paramLabel = "KEY")
    String key;

    @Option(names = "--prefix", paramLabel = "P", description = "Delete every key starting with P (not empty).")
    String prefix;

    @Option(names = {"-y", "--yes"}, description = "Delete under --prefix without asking.")
    boolean yes;

    private byte[] keyBytes;
    private byte[] prefixBytes;

    @Override
    void parse() {
        if ((key == null) == (prefix == null)) {
            throw usage("give either KEY or --prefix P");
        }
        if (key != null) {
            keyBytes = key("KEY", key);
            return;
        }
        prefixBytes = bound("--prefix", prefix);
        if (prefixBytes.length == 0) {
            throw new IllegalArgumentException("--prefix must not be empty (it would delete every key)");
        }
        if (!yes && !io().terminal()) {
            throw new IllegalArgumentException("del --prefix " + quoted(prefixBytes)
                    + " deletes every key under it: add --yes (there is no terminal to ask on)");
        }
    }

    @Override
    int run(CairnClient client, PrintWriter err) throws IOException {
        if (keyBytes != null) {
            writeLine(client.delete(keyBytes) ? "1" : "0");
            return CairnCli.EXIT_OK;
        }
        List<byte[]> keys = keysUnder(client);
        if (!keys.isEmpty() && !yes) {
            err.print("delete " + keys.size() + (keys.size() == 1 ? " key" : " keys") + " under "
                    + quoted(prefixBytes) + "? [y/N] ");
            err.flush();
            String answer = readLine(io().in()).trim();
            if (!answer.equalsIgnoreCase("y") && !answer.equalsIgnoreCase("yes")) {
                err.println("cairn: nothing deleted");
                return CairnCli.EXIT_NEGATIVE;
            }
        }
        writeLine(Long.toString(deleteAll(client, keys)));
        return CairnCli.EXIT_OK;
    }

    private List<byte[]> keysUnder(CairnClient client) {
        List<byte[]> keys = new ArrayList<>();
        ScanQuery q = ScanQuery.prefix(prefixBytes).withLimit(ScanCommand.PAGE_KEYS_MAX);
        while (true) {
            ScanPage page = client.scan(q);
            page.kvs().stream().map(KeyValue::key).forEach(keys::add);
            if (!page.hasMore()) {
                return keys;
            }
            q = q.after(page);
        }
    }

    /** Deletes {@code keys}, a window at a time; returns how many existed. */
    private long deleteAll(CairnClient client, List<byte[]> keys) {
        long deleted = 0;
        for (int start = 0; start < keys.size(); start += DELETES_IN_FLIGHT) {
            List<CompletableFuture<Boolean>> window = new ArrayList<>();
            for (byte[] k : keys.subList(start, Math.min(keys.size(), start + DELETES_IN_FLIGHT))) {
                window.add(client.deleteAsync(k));
            }
            Throwable failure = null;
            for (CompletableFuture<Boolean> f : window) {
                try {
                    deleted += f.join() ? 1 : 0;
                } catch (RuntimeException e) {
                    failure = failure == null ? CairnCli.unwrap(e) : failure;
                }
            }
            if (failure != null) {
                throw partly(failure, deleted, keys.size());
            }
        }
        return deleted;
    }

    /** The failure, saying how far the deletes got (the exit code still follows its kind). */
    private RuntimeException partly(Throwable failure, long deleted, int total) {
        String message = "deleted " + deleted + " of " + total + " keys under " + quoted(prefixBytes) + ", then: "
                + failure.getMessage();
        if (failure instanceof CairnUnavailableException u) {
            return new CairnUnavailableException(message, u.endpointsTried(), u);
        }
        return new CairnException(message, failure);
    }

    private static String quoted(byte[] bytes) {
        String shown = ByteFormat.display(bytes);
        return shown.startsWith("hex:") ? shown : "'" + shown + "'";
    }

    /** One line of the answer, without its newline; "" at end of input. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != -1 && b != '\n'; b = in.read()) {
            line.write(b);
        }
        return line.toString(StandardCharsets.UTF_8);
    }
}
