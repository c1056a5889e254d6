package io.cairn.faults;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.GetRequest;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.MultiGetRequest;
import io.cairn.api.proto.PutRequest;
import io.cairn.client.CairnClient;
import io.cairn.client.CairnException;
import io.cairn.client.CasFailedException;
import io.cairn.client.Consistency;
import io.cairn.client.KeyValue;
import io.cairn.client.ReadBalancing;
import io.cairn.client.ScanPage;
import io.cairn.client.ScanQuery;
import io.cairn.sim.lin.KvInput;
import io.cairn.sim.lin.KvOutput;
import io.cairn.sim.lin.KvValue;
import io.cairn.sim.lin.Operation;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Concurrent clients recording every operation with its call and return times, for the
 * linearizability checker. Two kinds of client run side by side:
 * <ul>
 *   <li><b>routed</b>: the Java client ({@link CairnClient}, with its routing and retries), doing
 *       put, get (LINEARIZABLE, LEASE or BOUNDED; odd clients spread BOUNDED gets over the
 *       replicas), compare-and-set, multi-get and scan;</li>
 *   <li><b>plain</b>: a bare gRPC stub sending each request to a node picked at random, once, so
 *       followers and forwarding serve it (what a client without Cairn's library sees); gets at
 *       the three levels too, so a leader that wakes from a pause meets lease reads.</li>
 * </ul>
 * Every written value is unique, so a value names the write that produced it. A write whose
 * outcome is unknown (timeout, node gone) is recorded as pending: it may or may not have taken
 * effect. A multi-get or scan is recorded as one read per key it covers, each with the call's
 * interval: each of those must be linearizable on its own (a necessary condition; that the
 * keys were read at one instant is not checked here).
 */
final class Workload {
    static final String KEY_PREFIX = "fk/";

    /** Counts over the whole run. */
    final AtomicLong attempted = new AtomicLong();
    final AtomicLong acknowledged = new AtomicLong();
    final AtomicLong indeterminate = new AtomicLong();
    final AtomicLong failedReads = new AtomicLong();
    /** Writes known not to have taken effect (the node refused the connection). */
    final AtomicLong failedWrites = new AtomicLong();

    private final List<Operation<KvInput, KvOutput>> history = Collections.synchronizedList(new ArrayList<>());
    /** Call and return times (ns, this JVM's monotonic clock) of every acknowledged write. */
    private final List<long[]> acknowledgedWrites = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final SecureSetup security;
    private final List<String> endpoints;
    private final int keys;
    private final Duration requestTimeout;

    Workload(SecureSetup security, List<String> endpoints, int keys, Duration requestTimeout) {
        this.security = security;
        this.endpoints = List.copyOf(endpoints);
        this.keys = keys;
        this.requestTimeout = requestTimeout;
    }

    static String key(int i) {
        return KEY_PREFIX + i;
    }

    void start(int routedClients, int plainClients, long seed) {
        for (int c = 0; c < routedClients + plainClients; c++) {
            int client = c;
            SplittableRandom random = new SplittableRandom(seed * 1_000 + client);
            Runnable body = c < routedClients ? () -> runRouted(client, random) : () -> runPlain(client, random);
            Thread t = new Thread(body, "fault-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(requestTimeout.toMillis() * 3);
        }
    }

    List<Operation<KvInput, KvOutput>> history() {
        synchronized (history) {
            return List.copyOf(history);
        }
    }

    List<long[]> acknowledgedWrites() {
        synchronized (acknowledgedWrites) {
            return List.copyOf(acknowledgedWrites);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static KvValue valueOf(Optional<KeyValue> kv) {
        return kv.map(v -> KvValue.of(Long.parseLong(v.valueUtf8()))).orElse(KvValue.ABSENT);
    }

    // ---- routed clients: the Java client -----------------------------------------------------

    private void runRouted(int client, SplittableRandom random) {
        // Odd clients spread their BOUNDED reads over the replicas, so followers serve them.
        try (CairnClient cairn = security.passwordClient(endpoints).requestTimeout(requestTimeout)
                .readBalancing(client % 2 == 1 ? ReadBalancing.ROUND_ROBIN : ReadBalancing.LEADER).build()) {
            long counter = 0;
            while (running.get()) {
                String key = key(random.nextInt(keys));
                long value = (client + 1) * 1_000_000_000L + (++counter);
                int kind = random.nextInt(20);
                attempted.incrementAndGet();
                if (kind < 6) {
                    routedPut(cairn, client, key, value);
                } else if (kind < 12) {
                    routedGet(cairn, client, key, READ_LEVELS[random.nextInt(READ_LEVELS.length)]);
                } else if (kind < 15) {
                    routedCas(cairn, client, key, value);
                } else if (kind < 18) {
                    routedMultiGet(cairn, client, random);
                } else {
                    routedScan(cairn, client);
                }
            }
        }
    }

    private void routedPut(CairnClient cairn, int client, String key, long value) {
        long call = System.nanoTime();
        try {
            cairn.put(bytes(key), bytes(Long.toString(value)));
            writeAcknowledged(client, new KvInput.Put(key, value), KvOutput.OK, call);
        } catch (CairnException e) {
            writeUnknown(client, new KvInput.Put(key, value), call);
        }
    }

    /** The BOUNDED reads' staleness bound: a few election timeouts, so followers often serve them. */
    static final Duration BOUNDED_STALENESS = Duration.ofMillis(300);
    private static final Consistency[] READ_LEVELS = {
        Consistency.LINEARIZABLE, Consistency.LEASE, Consistency.bounded(BOUNDED_STALENESS)};

    /**
     * A get at {@code level}. A BOUNDED read may miss writes acknowledged up to its bound before
     * it: to the checker it was called that much earlier (the nodes measure the bound on the same
     * machine's monotonic clock; 1 ms more for rounding).
     */
    private static long boundedFrom(long call, Consistency level) {
        return level.level() == Consistency.Level.BOUNDED ? call - level.maxStaleness().plusMillis(1).toNanos() : call;
    }

    private void routedGet(CairnClient cairn, int client, String key, Consistency level) {
        long call = System.nanoTime();
        try {
            KvValue seen = valueOf(cairn.get(bytes(key), level));
            read(client, key, seen, boundedFrom(call, level), System.nanoTime());
            acknowledged.incrementAndGet();
        } catch (CairnException e) {
            failedReads.incrementAndGet(); // a failed read has no effect to record
        }
    }

    /** Reads the key, then swaps on the version read: the model's swap on the value read. */
    private void routedCas(CairnClient cairn, int client, String key, long value) {
        Optional<KeyValue> current;
        long readCall = System.nanoTime();
        try {
            current = cairn.get(bytes(key));
            read(client, key, valueOf(current), readCall, System.nanoTime());
        } catch (CairnException e) {
            failedReads.incrementAndGet();
            return;
        }
        KvInput.Cas input = new KvInput.Cas(key, valueOf(current), value);
        long version = current.map(KeyValue::version).orElse(0L);
        long call = System.nanoTime();
        try {
            cairn.compareAndSet(bytes(key), version, bytes(Long.toString(value)));
            writeAcknowledged(client, input, new KvOutput.Swapped(true), call);
        } catch (CasFailedException e) {
            history.add(Operation.completed(client, input, new KvOutput.Swapped(false), call, System.nanoTime()));
            acknowledged.incrementAndGet();
        } catch (CairnException e) {
            writeUnknown(client, input, call);
        }
    }

    private void routedMultiGet(CairnClient cairn, int client, SplittableRandom random) {
        List<String> asked = someKeys(random);
        long call = System.nanoTime();
        try {
            List<Optional<KeyValue>> found = cairn.multiGet(asked.stream().map(Workload::bytes).toList());
            long ret = System.nanoTime();
            for (int i = 0; i < asked.size(); i++) {
                read(client, asked.get(i), valueOf(found.get(i)), call, ret);
            }
            acknowledged.incrementAndGet();
        } catch (CairnException e) {
            failedReads.incrementAndGet();
        }
    }

    /** A scan of the whole workload prefix: every key not returned was absent. */
    private void routedScan(CairnClient cairn, int client) {
        long call = System.nanoTime();
        try {
            ScanPage page = cairn.scan(ScanQuery.prefix(KEY_PREFIX).withLimit(keys + 1));
            long ret = System.nanoTime();
            if (page.hasMore()) {
                throw new IllegalStateException("a scan with limit " + (keys + 1) + " over " + keys + " keys has more");
            }
            TreeMap<String, KvValue> seen = new TreeMap<>();
            for (KeyValue kv : page.kvs()) {
                seen.put(new String(kv.key(), StandardCharsets.UTF_8), KvValue.of(Long.parseLong(kv.valueUtf8())));
            }
            for (int i = 0; i < keys; i++) {
                read(client, key(i), seen.getOrDefault(key(i), KvValue.ABSENT), call, ret);
            }
            acknowledged.incrementAndGet();
        } catch (CairnException e) {
            failedReads.incrementAndGet();
        }
    }

    // ---- plain clients: a bare stub, any node, one attempt ----------------------------------

    /** A plain client's pause after a failed call. */
    static final long PLAIN_FAILURE_PAUSE_MILLIS = 10;

    private void runPlain(int client, SplittableRandom random) {
        List<ManagedChannel> channels = new ArrayList<>();
        for (String endpoint : endpoints) {
            channels.add(security.channel(endpoint));
        }
        try {
            long counter = 0;
            while (running.get()) {
                KvGrpc.KvBlockingStub stub = KvGrpc.newBlockingStub(channels.get(random.nextInt(channels.size())))
                        .withDeadlineAfter(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
                String key = key(random.nextInt(keys));
                long value = (client + 1) * 1_000_000_000L + (++counter);
                int kind = random.nextInt(10);
                attempted.incrementAndGet();
                boolean ok;
                if (kind < 4) {
                    ok = plainPut(stub, client, key, value);
                } else if (kind < 8) {
                    ok = plainGet(stub, client, key, READ_LEVELS[random.nextInt(READ_LEVELS.length)]);
                } else {
                    ok = plainMultiGet(stub, client, random);
                }
                if (!ok) {
                    // A failing node answers in microseconds: without a pause, as any real client
                    // makes, an outage turns into thousands of writes of unknown outcome, and the
                    // checker's search over them explodes (seen as UNKNOWN in disk-full).
                    try {
                        TimeUnit.MILLISECONDS.sleep(PLAIN_FAILURE_PAUSE_MILLIS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                if (!running.get()) {
                    break;
                }
            }
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
        }
    }

    /** Returns whether the put was acknowledged. */
    private boolean plainPut(KvGrpc.KvBlockingStub stub, int client, String key, long value) {
        long call = System.nanoTime();
        try {
            stub.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
                    .setValue(ByteString.copyFromUtf8(Long.toString(value))).build());
            writeAcknowledged(client, new KvInput.Put(key, value), KvOutput.OK, call);
            return true;
        } catch (StatusRuntimeException e) {
            if (neverSent(e)) {
                failedWrites.incrementAndGet(); // refused before it was sent: it cannot take effect
            } else {
                writeUnknown(client, new KvInput.Put(key, value), call);
            }
            return false;
        }
    }

    /** Returns whether the read was answered. */
    private boolean plainGet(KvGrpc.KvBlockingStub stub, int client, String key, Consistency level) {
        long call = System.nanoTime();
        try {
            var response = stub.get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
                    .setConsistency(level.level() == Consistency.Level.LINEARIZABLE ? io.cairn.api.proto.Consistency.CONSISTENCY_LINEARIZABLE
                            : level.level() == Consistency.Level.LEASE ? io.cairn.api.proto.Consistency.CONSISTENCY_LEASE
                            : io.cairn.api.proto.Consistency.CONSISTENCY_BOUNDED)
                    .setMaxStalenessMs(level.maxStaleness().toMillis()).build());
            KvValue seen = response.hasKv()
                    ? KvValue.of(Long.parseLong(response.getKv().getValue().toStringUtf8())) : KvValue.ABSENT;
            read(client, key, seen, boundedFrom(call, level), System.nanoTime());
            acknowledged.incrementAndGet();
            return true;
        } catch (StatusRuntimeException e) {
            failedReads.incrementAndGet();
            return false;
        }
    }

    /** Returns whether the multi-get was answered. */
    private boolean plainMultiGet(KvGrpc.KvBlockingStub stub, int client, SplittableRandom random) {
        List<String> asked = someKeys(random);
        MultiGetRequest.Builder request = MultiGetRequest.newBuilder();
        asked.forEach(k -> request.addKeys(ByteString.copyFromUtf8(k)));
        long call = System.nanoTime();
        try {
            var response = stub.multiGet(request.build());
            long ret = System.nanoTime();
            TreeMap<String, KvValue> seen = new TreeMap<>();
            response.getKvsList().forEach(kv -> seen.put(kv.getKey().toStringUtf8(),
                    KvValue.of(Long.parseLong(kv.getValue().toStringUtf8()))));
            for (String k : asked) {
                read(client, k, seen.getOrDefault(k, KvValue.ABSENT), call, ret);
            }
            acknowledged.incrementAndGet();
            return true;
        } catch (StatusRuntimeException e) {
            failedReads.incrementAndGet();
            return false;
        }
    }

    /**
     * Whether the request never left this process: the node refused the connection (it is
     * down). Anything else, a timeout above all, may have reached it and taken effect.
     */
    private static boolean neverSent(StatusRuntimeException e) {
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }

    // ---- recording -------------------------------------------------------------------------

    private List<String> someKeys(SplittableRandom random) {
        List<String> out = new ArrayList<>();
        int count = 2 + random.nextInt(Math.min(4, keys - 1));
        while (out.size() < count) {
            String k = key(random.nextInt(keys));
            if (!out.contains(k)) {
                out.add(k);
            }
        }
        return out;
    }

    private void read(int client, String key, KvValue seen, long call, long ret) {
        history.add(Operation.completed(client, new KvInput.Get(key), new KvOutput.Read(seen), call, ret));
    }

    /** Records a final read made after the clients stopped (the check that acknowledged writes survived). */
    void recordFinalRead(String key, KvValue seen, long call, long ret) {
        history.add(Operation.completed(Integer.MAX_VALUE, new KvInput.Get(key), new KvOutput.Read(seen), call, ret));
    }

    private void writeAcknowledged(int client, KvInput input, KvOutput output, long call) {
        long ret = System.nanoTime();
        history.add(Operation.completed(client, input, output, call, ret));
        acknowledgedWrites.add(new long[] {call, ret});
        acknowledged.incrementAndGet();
    }

    private void writeUnknown(int client, KvInput input, long call) {
        history.add(Operation.pending(client, input, call));
        indeterminate.incrementAndGet();
    }
}
