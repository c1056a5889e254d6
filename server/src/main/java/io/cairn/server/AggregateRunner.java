package io.cairn.server;

import io.cairn.aggregate.Aggregation;
import io.cairn.aggregate.CutRule;
import io.cairn.api.proto.AggregateGroup;
import io.cairn.api.proto.AggregatePartRequest;
import io.cairn.api.proto.AggregatePartResponse;
import io.cairn.api.proto.AggregateRequest;
import io.cairn.api.proto.AggregateResponse;
import io.cairn.api.proto.Consistency;
import io.cairn.api.proto.MissingSlots;
import io.cairn.common.GroupId;
import io.cairn.placement.ShardGroups;
import io.cairn.placement.Topology;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one aggregation over every shard and merges the shards' partial results (docs/aggregation.md).
 *
 * <p>At LINEARIZABLE it finds one consistent cut by reading twice, as a double collect does:
 * every shard aggregates its keys of the range (a linearizable first read, then chunks of the
 * same replica) and says the revision it started at; then every shard is asked, linearizably,
 * whether any key of the range changed after that revision and whether a transaction's write
 * intent lies on one. {@link CutRule} decides whether the round is a cut (and says why it is
 * not); otherwise the round repeats, until the deadline. BOUNDED and EVENTUAL aggregate each
 * shard once, no cut.
 */
final class AggregateRunner {
    static final long DEADLINE_MILLIS_DEFAULT = 30_000;
    static final long DEADLINE_MILLIS_MAX = 600_000;
    /** Pause before a round that met changes or intents grows from this, doubling, to the max. */
    private static final long RETRY_PAUSE_MILLIS_MIN = 5;
    private static final long RETRY_PAUSE_MILLIS_MAX = 200;
    /** Asks of one shard's part in a round before it counts as missing (a leader change passes). */
    private static final int PART_TRIES_MAX = 5;

    /** Where a shard's part is asked: this node's replica, or a node that has one. */
    interface Parts {
        CompletableFuture<AggregatePartResponse> ask(GroupId group, AggregatePartRequest request, long deadlineNanos);
    }

    /** Told each shard part as it is read, from any thread; for progress output. */
    interface Progress {
        Progress NONE = (group, part, attempt) -> { };

        void partRead(GroupId group, AggregatePartResponse part, int attempt);
    }

    private final Parts parts;

    AggregateRunner(Parts parts) {
        this.parts = parts;
    }

    /** A run's outcome when no consistent cut was found in time. */
    static final class NoCutException extends Exception {
        NoCutException(String message) {
            super(message);
        }
    }

    /**
     * Runs {@code request}. {@code unsafeSkipCut} is the fault suite's negative control only: a
     * LINEARIZABLE run then reads each shard once and calls it a cut without checking.
     */
    AggregateResponse run(AggregateRequest request, Aggregation aggregation, Topology topology, long startNanos,
                          long deadlineNanos, boolean unsafeSkipCut, Progress progress)
            throws NoCutException, InterruptedException {
        boolean cut = request.getConsistency() == Consistency.CONSISTENCY_LINEARIZABLE
                || request.getConsistency() == Consistency.CONSISTENCY_UNSPECIFIED;
        List<GroupId> groups = topology.allGroups();
        int attempts = 0;
        long pauseMillis = RETRY_PAUSE_MILLIS_MIN;
        String lastReason = "";
        while (true) {
            attempts++;
            Map<GroupId, AggregatePartResponse> read = new TreeMap<>();
            Map<GroupId, String> missing = new TreeMap<>();
            int round = attempts;
            collect(groups, request, false, null, deadlineNanos, read, missing,
                    (group, part) -> progress.partRead(group, part, round));
            if (!cut || unsafeSkipCut) {
                return answer(request, aggregation, topology, read, missing, cut, attempts, startNanos);
            }
            String unsettled = unsettled(read, deadlineNanos, request);
            if (unsettled == null) {
                return answer(request, aggregation, topology, read, missing, true, attempts, startNanos);
            }
            lastReason = unsettled;
            long leftNanos = deadlineNanos - System.nanoTime();
            if (leftNanos <= TimeUnit.MILLISECONDS.toNanos(pauseMillis)) {
                throw new NoCutException("no consistent cut in " + attempts + " rounds before the deadline: " + lastReason
                        + "; try again, aggregate a narrower range, give a longer --deadline, or use --consistency"
                        + " eventual (no cut)");
            }
            Thread.sleep(pauseMillis); // backing off from writers, not waiting for a condition
            pauseMillis = Math.min(RETRY_PAUSE_MILLIS_MAX, pauseMillis * 2);
        }
    }

    /**
     * Null when the round's reads are at one cut ({@link CutRule}), else why not: intents at the
     * reads stop it before any check; then every shard read is checked.
     */
    private String unsettled(Map<GroupId, AggregatePartResponse> read, long deadlineNanos, AggregateRequest request)
            throws InterruptedException {
        List<CutRule.Read> reads = new ArrayList<>();
        read.forEach((group, r) -> reads.add(new CutRule.Read(ShardGroups.describe(group), r.getWriteIntents())));
        String before = CutRule.beforeCheck(reads);
        if (before != null) {
            return before;
        }
        Map<GroupId, AggregatePartResponse> checked = new TreeMap<>();
        Map<GroupId, String> failed = new TreeMap<>();
        collect(new ArrayList<>(read.keySet()), request, true, read, deadlineNanos, checked, failed, (g, p) -> { });
        Map<String, CutRule.Check> checks = new TreeMap<>();
        checked.forEach((group, c) -> checks.put(ShardGroups.describe(group), new CutRule.Check(c.getChanged(), null)));
        failed.forEach((group, why) -> checks.put(ShardGroups.describe(group), new CutRule.Check(true, why)));
        return CutRule.atCut(reads, checks);
    }

    /** Asks every group's part at once; each answers, or is retried, or ends up missing with why. */
    private void collect(List<GroupId> groups, AggregateRequest request, boolean checkOnly,
                         Map<GroupId, AggregatePartResponse> readBefore, long deadlineNanos,
                         Map<GroupId, AggregatePartResponse> answers, Map<GroupId, String> missing,
                         java.util.function.BiConsumer<GroupId, AggregatePartResponse> onAnswer)
            throws InterruptedException {
        Map<GroupId, CompletableFuture<AggregatePartResponse>> asked = new TreeMap<>();
        for (GroupId group : groups) {
            AggregatePartRequest.Builder part = AggregatePartRequest.newBuilder().setQuery(request)
                    .setGroupId(group.value()).setCheckOnly(checkOnly);
            if (checkOnly) {
                part.setSinceRevision(readBefore.get(group).getRevision());
            }
            asked.put(group, askWithRetries(group, part.build(), deadlineNanos, 1).whenComplete((r, err) -> {
                if (err == null) {
                    onAnswer.accept(group, r);
                }
            }));
        }
        for (Map.Entry<GroupId, CompletableFuture<AggregatePartResponse>> a : asked.entrySet()) {
            long leftNanos = Math.max(0, deadlineNanos - System.nanoTime());
            try {
                answers.put(a.getKey(), a.getValue().get(leftNanos, TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                a.getValue().cancel(false);
                missing.put(a.getKey(), "no answer before the deadline");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                missing.put(a.getKey(), String.valueOf(cause.getMessage()));
            }
        }
    }

    private CompletableFuture<AggregatePartResponse> askWithRetries(GroupId group, AggregatePartRequest part,
                                                                   long deadlineNanos, int attempt) {
        return parts.ask(group, part, deadlineNanos).handle((r, err) -> {
            if (err == null) {
                return CompletableFuture.completedFuture(r);
            }
            boolean invalid = err instanceof io.grpc.StatusRuntimeException s
                    && s.getStatus().getCode() == io.grpc.Status.Code.INVALID_ARGUMENT
                    || err.getCause() instanceof io.grpc.StatusRuntimeException c
                    && c.getStatus().getCode() == io.grpc.Status.Code.INVALID_ARGUMENT;
            long pauseNanos = TimeUnit.MILLISECONDS.toNanos(50L * attempt);
            if (invalid || attempt >= PART_TRIES_MAX || deadlineNanos - System.nanoTime() < pauseNanos) {
                return CompletableFuture.<AggregatePartResponse>failedFuture(err);
            }
            // A leader change or a replica moving: ask again shortly, maybe of another node.
            return CompletableFuture.supplyAsync(() -> null,
                            CompletableFuture.delayedExecutor(pauseNanos, TimeUnit.NANOSECONDS))
                    .thenCompose(x -> askWithRetries(group, part, deadlineNanos, attempt + 1));
        }).thenCompose(f -> f);
    }

    static io.cairn.api.proto.PartServed served(GroupId group, AggregatePartResponse part) {
        return io.cairn.api.proto.PartServed.newBuilder().setShard(ShardGroups.shardOfGroup(group))
                .setNodeId(part.getHeader().getNodeId()).setRevision(part.getRevision()).setKeys(part.getKeys()).build();
    }

    private static AggregateResponse answer(AggregateRequest request, Aggregation aggregation, Topology topology,
                                            Map<GroupId, AggregatePartResponse> read, Map<GroupId, String> missing,
                                            boolean cut, int attempts, long startNanos) {
        Aggregation.Partial merged = aggregation.newPartial();
        Map<GroupId, String> unreadable = new TreeMap<>(missing);
        List<io.cairn.api.proto.PartServed> served = new ArrayList<>();
        for (Map.Entry<GroupId, AggregatePartResponse> r : read.entrySet()) {
            try {
                merged.merge(aggregation.decode(r.getValue().getPartial().toByteArray()));
                served.add(served(r.getKey(), r.getValue()));
            } catch (IllegalArgumentException e) {
                // A node with another version of the aggregator: its part cannot be trusted.
                unreadable.put(r.getKey(), e.getMessage());
            }
        }
        AggregateResponse.Builder b = AggregateResponse.newBuilder().setKeys(merged.keys()).setSkipped(merged.skipped())
                .setConsistentCut(cut).setAttempts(attempts).setShardsAnswered(read.size() - (unreadable.size() - missing.size()))
                .setTookMs(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        b.addAllServed(served);
        merged.finish().forEach((group, json) -> b.addGroups(AggregateGroup.newBuilder().setGroup(group).setValueJson(json)));
        for (Map.Entry<GroupId, String> m : unreadable.entrySet()) {
            int shard = ShardGroups.shardOfGroup(m.getKey());
            b.addMissing(MissingSlots.newBuilder().setShard(shard).setFirstSlot(topology.firstSlot(shard))
                    .setEndSlot(topology.endSlotExclusive(shard)).setReason(m.getValue()));
        }
        return b.setPartial(!unreadable.isEmpty()).build();
    }
}
