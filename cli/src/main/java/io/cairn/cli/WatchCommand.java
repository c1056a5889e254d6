package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.Watch;
import io.cairn.client.WatchEvent;
import io.cairn.client.WatchQuery;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Prints every change of the keys under PREFIX (or of KEY alone with --key) as it happens,",
                "one line each: TYPE<TAB>KEY<TAB>VALUE<TAB>SHARD:REVISION (TYPE is PUT, DELETE or EXPIRE; no value",
                "but DELETE/EXPIRE's). With --json one object per line:",
                "{\"type\":\"put\",\"shard\":2,\"revision\":17,\"key\":\"a\",\"value\":\"b\",\"version\":3}.",
                "Each shard's changes come in its revision order; a prefix spans every shard. Reconnects to",
                "another replica on its own without losing or repeating a change. Ctrl-C ends it; so does",
                "--count. Exit 1 when a start revision is older than the replicas keep (compacted)."})
final class WatchCommand extends DataCommand {
    @Parameters(index = "0", paramLabel = "PREFIX", description = "Watch keys starting with this (\"\" for all).")
    String target;

    @Option(names = "--key", description = "Watch exactly the key given, not a prefix.")
    boolean exactKey;

    @Option(names = "--from-revision", paramLabel = "[SHARD:]REV", split = ",",
            description = "Start at this revision (inclusive) of each shard named, e.g. 2:17,3:40; a bare REV"
                    + " is for --key or a one-shard cluster. Default: from the next change.")
    List<String> fromRevisions = List.of();

    @Option(names = "--count", paramLabel = "N", description = "Stop after N changes. Default: run until Ctrl-C.")
    long count;

    @Option(names = "--json", description = "One JSON object per change.")
    boolean json;

    private byte[] key;
    private final TreeMap<Integer, Long> starts = new TreeMap<>();
    private long bareStart;

    @Override
    void parse() {
        key = exactKey ? key("KEY", target) : bound("PREFIX", target);
        if (count < 0) {
            throw new IllegalArgumentException("--count must not be negative: " + count);
        }
        for (String from : fromRevisions) {
            int colon = from.indexOf(':');
            try {
                if (colon < 0) {
                    bareStart = positive(Long.parseLong(from.trim()));
                } else {
                    starts.put(Integer.parseInt(from.substring(0, colon).trim()),
                            positive(Long.parseLong(from.substring(colon + 1).trim())));
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--from-revision takes REV or SHARD:REV, e.g. 17 or 2:17, not '"
                        + from + "'");
            }
        }
    }

    private static long positive(long revision) {
        if (revision < 1) {
            throw new IllegalArgumentException("a revision is at least 1: " + revision);
        }
        return revision;
    }

    @Override
    int run(CairnClient client, PrintWriter err) throws Exception {
        WatchQuery query = exactKey ? WatchQuery.key(key) : WatchQuery.prefix(key);
        if (bareStart > 0) {
            int shards = client.shards().shardCount();
            if (!exactKey && shards > 1) {
                throw new IllegalArgumentException("the prefix spans " + shards + " shards, whose revisions differ:"
                        + " give --from-revision SHARD:REV for each");
            }
            int shard = exactKey ? client.shardOf(key) : 0;
            starts.put(shard, bareStart);
        }
        query = query.fromRevisions(starts);
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong printed = new AtomicLong();
        Watch.Listener listener = new Watch.Listener() {
            @Override
            public void onEvents(int shard, List<WatchEvent> events, long progressRevision) {
                for (WatchEvent e : events) {
                    if (count > 0 && printed.get() >= count) {
                        done.countDown();
                        return;
                    }
                    write(json ? jsonLine(e) : textLine(e));
                    printed.incrementAndGet();
                }
                try {
                    io().out().flush();
                } catch (java.io.IOException e) {
                    failure.set(new java.io.UncheckedIOException("cannot write to stdout: " + e.getMessage(), e));
                    done.countDown();
                }
                if (count > 0 && printed.get() >= count) {
                    done.countDown();
                }
            }

            @Override
            public void onError(Throwable error) {
                failure.set(error);
                done.countDown();
            }
        };
        try (Watch watch = client.watch(query, listener)) {
            err.flush();
            done.await();
        }
        Throwable t = failure.get();
        if (t instanceof Watch.CompactedException c) {
            err.println("cairn: " + CairnCli.oneLine(c.getMessage()));
            return CairnCli.EXIT_NEGATIVE;
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        return CairnCli.EXIT_OK;
    }

    private byte[] textLine(WatchEvent e) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(e.type().name().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.write('\t');
        out.writeBytes(format.encode(e.key()));
        out.write('\t');
        if (e.value() != null) {
            out.writeBytes(format.encode(e.value()));
        }
        out.writeBytes(("\t" + e.shard() + ":" + e.revision() + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static byte[] jsonLine(WatchEvent e) {
        return KvJson.watchLine(e.type().name().toLowerCase(java.util.Locale.ROOT), e.shard(), e.revision(), e.key(),
                e.value(), e.version());
    }
}
