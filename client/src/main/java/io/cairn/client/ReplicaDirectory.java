package io.cairn.client;

import io.cairn.api.proto.NodeStatus;
import io.cairn.api.proto.ShardView;
import io.cairn.api.proto.ShardsResponse;
import io.cairn.api.proto.StatusResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Where each shard's replicas are, for reads any replica may serve: shard group to the addresses
 * of its replicas, from one node's shard view and its member list (with their addresses). Fetched in
 * the background on first use and again when {@value #REFRESH_SECONDS} s old or when a replica
 * said it no longer holds the shard; until the first answer (or when the fetch fails) it knows
 * no replicas and reads go the leader's way. Thread-safe.
 */
final class ReplicaDirectory {
    static final long REFRESH_SECONDS = 10;

    /** One fetch from one node: its shard view and its status, which lists every member's address. */
    record Snapshot(ShardsResponse shards, StatusResponse members) {}

    private final Supplier<CompletableFuture<Snapshot>> fetch;
    private final LongSupplier nanoTime;
    private volatile Map<Long, List<String>> byGroup = Map.of();
    private volatile long fetchedAtNanos;
    private volatile boolean fetchedOnce;
    private final AtomicBoolean fetching = new AtomicBoolean();

    ReplicaDirectory(Supplier<CompletableFuture<Snapshot>> fetch, LongSupplier nanoTime) {
        this.fetch = fetch;
        this.nanoTime = nanoTime;
    }

    /** The addresses of {@code group}'s replicas as last fetched; empty while unknown. */
    List<String> replicas(long group) {
        if (!fetchedOnce || nanoTime.getAsLong() - fetchedAtNanos > TimeUnit.SECONDS.toNanos(REFRESH_SECONDS)) {
            refresh();
        }
        return byGroup.getOrDefault(group, List.of());
    }

    /** A replica moved (WRONG_SHARD) or the list is otherwise suspect: fetch again soon. */
    void stale() {
        fetchedOnce = false;
    }

    private void refresh() {
        if (!fetching.compareAndSet(false, true)) {
            return;
        }
        CompletableFuture<Snapshot> f;
        try {
            f = fetch.get();
        } catch (RuntimeException e) {
            fetching.set(false);
            return;
        }
        f.whenComplete((snapshot, err) -> {
            // A failed fetch is tried again after the same interval, not at every read.
            fetchedAtNanos = nanoTime.getAsLong();
            fetchedOnce = true;
            if (err == null && snapshot != null) {
                byGroup = index(snapshot);
            }
            fetching.set(false);
        });
    }

    /** Shard group (shard + 1) to replica addresses. */
    static Map<Long, List<String>> index(Snapshot s) {
        Map<Long, String> addresses = new HashMap<>();
        for (NodeStatus n : s.members().getNodesList()) {
            if (!n.getAddress().isEmpty()) {
                addresses.put(n.getId(), n.getAddress());
            }
        }
        Map<Long, List<String>> out = new HashMap<>();
        for (ShardView shard : s.shards().getShardsList()) {
            List<String> replicas = new ArrayList<>();
            for (long id : shard.getReplicasList()) {
                String a = addresses.get(id);
                if (a != null) {
                    replicas.add(a);
                }
            }
            out.put(Endpoints.FIRST_GROUP + shard.getShard(), List.copyOf(replicas));
        }
        return Map.copyOf(out);
    }
}
