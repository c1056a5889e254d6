package io.cairn.client;

import io.cairn.api.proto.ErrorDetail;
import io.cairn.api.proto.InvalidArgument;
import io.cairn.api.proto.ResponseHeader;
import io.cairn.api.proto.Role;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.cairn.common.RandomSource;
import io.cairn.common.SeededRandom;
import io.cairn.placement.AttemptPlan;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs a request until it succeeds, fails for a reason no retry can fix, or its deadline
 * passes. Where each attempt goes and how long to pause before it is {@link AttemptPlan}'s rule,
 * which the simulator's clients run too: the first address chosen by read balancing, else the
 * hint of the previous NOT_LEADER (the address may be outside the configured endpoints; a
 * channel to it is opened), else the client's leader guess, else the configured endpoints in
 * rotation, skipping those that failed in this round. A WRONG_SHARD (the node holds no replica
 * of the shard) is followed like a NOT_LEADER hint. Every other retryable failure
 * (UNAVAILABLE, a NOT_LEADER without a hint, a connection failure, an attempt's own timeout,
 * RESOURCE_EXHAUSTED, ABORTED) is followed by a back-off that doubles from
 * {@code backoffInitialMillis} to {@code backoffMaxMillis} with jitter. A request resends
 * exactly the same message on every attempt, so a write keeps its (client id, sequence) and the
 * server applies it once.
 *
 * <p>When the deadline passes, the request fails with {@link CairnUnavailableException} naming
 * every address tried and the last error. INVALID_ARGUMENT becomes an
 * {@link IllegalArgumentException}, FAILED_PRECONDITION with its detail a
 * {@link CasFailedException} (or with a stale token {@link StaleTokenException}), anything else a {@link CairnException}; none is retried.
 */
final class Retrier implements AutoCloseable {
    private final Endpoints endpoints;
    private final long attemptTimeoutNanos;
    private final AttemptPlan.Backoff backoff;
    /** The jitter of every request's back-off; requests draw from it one at a time. */
    private final RandomSource random;
    private final ScheduledThreadPoolExecutor scheduler;
    private final Set<Request<?, ?>> active = ConcurrentHashMap.newKeySet();

    Retrier(Endpoints endpoints, long attemptTimeoutMillis, long backoffInitialMillis, long backoffMaxMillis) {
        if (attemptTimeoutMillis < 1 || backoffInitialMillis < 1 || backoffMaxMillis < backoffInitialMillis) {
            throw new IllegalArgumentException("need attemptTimeout >= 1 ms and 1 ms <= backoff initial <= max");
        }
        this.endpoints = endpoints;
        this.attemptTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(attemptTimeoutMillis);
        this.backoff = new AttemptPlan.Backoff(backoffInitialMillis, backoffMaxMillis);
        SeededRandom seeded = new SeededRandom(new java.security.SecureRandom().nextLong());
        this.random = () -> {
            synchronized (seeded) {
                return seeded.nextLong();
            }
        };
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "cairn-client-retry");
            t.setDaemon(true);
            return t;
        });
        scheduler.setRemoveOnCancelPolicy(true);
    }

    /**
     * Runs {@code request} with retries until {@code deadlineNanos} ({@link System#nanoTime}).
     *
     * @param operation a name for error messages, e.g. "put"
     * @param headerOf the response's header, whose {@code served_by} updates the leader guess
     * @param timeoutMillis the request's whole timeout, for error messages
     */
    <Req, Resp> CompletableFuture<Resp> call(String operation, long group, MethodDescriptor<Req, Resp> method,
                                             Req request, Function<Resp, ResponseHeader> headerOf, long deadlineNanos,
                                             long timeoutMillis) {
        return call(operation, group, method, request, headerOf, deadlineNanos, timeoutMillis, null, null);
    }

    /** What a replica read's attempts report to the client's balancing. */
    interface AttemptObserver {
        void started(String address);

        /**
         * The attempt at {@code address} ended: {@code answered} unless it failed for want of an
         * answer (unreachable, timed out, overloaded, no leader); {@code moved} when the node
         * said it holds no replica of the shard.
         */
        void ended(String address, boolean answered, boolean moved);
    }

    /**
     * {@link #call} whose first attempt goes to {@code first} (a replica the client's balancing
     * chose; null: the usual order), with every attempt reported to {@code observer} (may be null).
     */
    <Req, Resp> CompletableFuture<Resp> call(String operation, long group, MethodDescriptor<Req, Resp> method,
                                             Req request, Function<Resp, ResponseHeader> headerOf, long deadlineNanos,
                                             long timeoutMillis, String first, AttemptObserver observer) {
        Request<Req, Resp> r = new Request<>(operation, group, method, request, headerOf, deadlineNanos, timeoutMillis,
                first, observer);
        active.add(r);
        r.result.whenComplete((resp, e) -> active.remove(r));
        if (endpoints.isClosed()) {
            r.fail(closed());
        } else {
            r.attempt();
        }
        return r.result;
    }

    /** One attempt at one address, without retries; fails with the call's own exception. */
    <Req, Resp> CompletableFuture<Resp> once(String address, MethodDescriptor<Req, Resp> method, Req request,
                                             long deadlineNanos) {
        CompletableFuture<Resp> result = new CompletableFuture<>();
        long remainingNanos = deadlineNanos - System.nanoTime();
        if (remainingNanos <= 0) {
            result.completeExceptionally(Status.DEADLINE_EXCEEDED.withDescription("no time left").asRuntimeException());
            return result;
        }
        ManagedChannel channel;
        try {
            channel = endpoints.channel(address);
        } catch (IllegalStateException e) {
            result.completeExceptionally(e);
            return result;
        }
        ClientCall<Req, Resp> call = channel.newCall(method,
                CallOptions.DEFAULT.withDeadlineAfter(remainingNanos, TimeUnit.NANOSECONDS));
        ClientCalls.asyncUnaryCall(call, request, new StreamObserver<>() {
            private Resp response;

            @Override
            public void onNext(Resp value) {
                response = value;
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                result.complete(response);
            }
        });
        return result;
    }

    /** Runs {@code task} after {@code delayMillis} on the retry thread. */
    ScheduledFuture<?> schedule(Runnable task, long delayMillis) {
        return scheduler.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    }

    /** Stops retrying: requests still running fail with {@link IllegalStateException}. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        for (Request<?, ?> r : new ArrayList<>(active)) {
            r.fail(closed());
        }
    }

    static IllegalStateException closed() {
        return new IllegalStateException("CairnClient is closed");
    }

    /** One request's attempts. Attempts run one after another; the monitor guards the state. */
    private final class Request<Req, Resp> {
        final CompletableFuture<Resp> result = new CompletableFuture<>();
        private final String operation;
        /** The shard group the request is for: whose leader to try first. */
        private final long group;
        private final MethodDescriptor<Req, Resp> method;
        private final Req request;
        private final Function<Resp, ResponseHeader> headerOf;
        private final long deadlineNanos;
        private final long timeoutMillis;
        /** Every address tried, in first-try order, for the final error message. */
        private final LinkedHashSet<String> tried = new LinkedHashSet<>();
        private final AttemptPlan plan;
        private int attempts;
        private String lastError = "none";
        private Throwable lastFailure;
        private boolean reloggedIn;
        private final AttemptObserver observer;

        Request(String operation, long group, MethodDescriptor<Req, Resp> method, Req request,
                Function<Resp, ResponseHeader> headerOf, long deadlineNanos, long timeoutMillis, String first,
                AttemptObserver observer) {
            this.observer = observer;
            this.operation = operation;
            this.group = group;
            this.method = method;
            this.request = request;
            this.headerOf = headerOf;
            this.deadlineNanos = deadlineNanos;
            this.timeoutMillis = timeoutMillis;
            AttemptPlan.LeaderGuess leader = new AttemptPlan.LeaderGuess() {
                @Override
                public String get() {
                    return endpoints.leaderGuess(group);
                }

                @Override
                public void is(String address) {
                    endpoints.leaderIs(group, address);
                }

                @Override
                public void isNot(String address) {
                    endpoints.notLeader(group, address);
                }
            };
            this.plan = new AttemptPlan(endpoints.configured(), endpoints.nextRotationStart(), leader, backoff, random, first);
        }

        synchronized void attempt() {
            if (result.isDone()) {
                return;
            }
            long remainingNanos = deadlineNanos - System.nanoTime();
            if (remainingNanos <= 0) {
                failUnavailable();
                return;
            }
            String address = plan.next();
            tried.add(address);
            attempts++;
            if (observer != null) {
                observer.started(address);
            }
            ManagedChannel channel;
            try {
                channel = endpoints.channel(address);
            } catch (IllegalStateException e) {
                fail(e);
                return;
            }
            long attemptNanos = Math.min(remainingNanos, attemptTimeoutNanos);
            ClientCall<Req, Resp> call = channel.newCall(method,
                    CallOptions.DEFAULT.withDeadlineAfter(attemptNanos, TimeUnit.NANOSECONDS));
            ClientCalls.asyncUnaryCall(call, request, new StreamObserver<>() {
                private Resp response;

                @Override
                public void onNext(Resp value) {
                    response = value;
                }

                @Override
                public void onError(Throwable t) {
                    if (observer != null) {
                        Status.Code code = Status.fromThrowable(t).getCode();
                        ErrorDetail detail = ErrorDetails.of(t);
                        boolean moved = detail != null && detail.hasWrongShard();
                        // A node that says it holds no replica answered: it is healthy, the list is stale.
                        observer.ended(address, moved || (code != Status.Code.UNAVAILABLE
                                && code != Status.Code.DEADLINE_EXCEEDED && code != Status.Code.RESOURCE_EXHAUSTED), moved);
                    }
                    onFailure(address, t);
                }

                @Override
                public void onCompleted() {
                    if (observer != null) {
                        observer.ended(address, true, false);
                    }
                    onSuccess(address, response);
                }
            });
        }

        private void onSuccess(String address, Resp response) {
            if (headerOf != null) {
                ResponseHeader header = headerOf.apply(response);
                endpoints.shardCountIs(header.getShardCount());
                if (header.getServedBy() == Role.ROLE_LEADER) {
                    endpoints.leaderIs(header.getGroupId() == 0 ? group : header.getGroupId(), address);
                }
            }
            result.complete(response);
        }

        private synchronized void onFailure(String address, Throwable t) {
            if (result.isDone()) {
                return;
            }
            if (endpoints.isClosed()) {
                fail(closed());
                return;
            }
            Status status = Status.fromThrowable(t);
            ErrorDetail detail = ErrorDetails.of(t);
            lastFailure = t;
            lastError = address + ": " + ErrorDetails.describe(status);
            switch (status.getCode()) {
                case UNAVAILABLE -> {
                    if (detail != null && detail.hasNotLeader()) {
                        redirect(address, detail.getNotLeader().getLeaderAddress());
                    } else if (detail != null && detail.hasWrongShard()) {
                        // The node holds no replica any more (the placement moved it): same as a hint.
                        redirect(address, detail.getWrongShard().getHintAddress());
                    } else {
                        retryElsewhere(address);
                    }
                }
                case RESOURCE_EXHAUSTED -> {
                    if (tooLarge(status)) {
                        // The same bytes would be too large at any node: say so now, never retry.
                        fail(new IllegalArgumentException(operation + ": " + status.getDescription()
                                + " (the request or its answer is over gRPC's message limit; ask for less,"
                                + " e.g. a smaller scan --limit)"));
                    } else {
                        retryElsewhere(address);
                    }
                }
                case DEADLINE_EXCEEDED, ABORTED -> retryElsewhere(address);
                case UNAUTHENTICATED -> {
                    // A token that expired or was revoked was dropped by the failed call: one more
                    // attempt logs in afresh. A second refusal is the credentials' fault.
                    if (endpoints.logsIn() && !reloggedIn) {
                        reloggedIn = true;
                        retryElsewhere(address);
                    } else {
                        fail(new AuthenticationException(operation + " refused by " + lastError, t));
                    }
                }
                case PERMISSION_DENIED -> fail(new AccessDeniedException(operation + " refused by " + lastError, t));
                case INVALID_ARGUMENT -> fail(invalidArgument(status, detail));
                case FAILED_PRECONDITION -> {
                    if (detail != null && detail.hasPreconditionFailed()) {
                        fail(new CasFailedException(detail.getPreconditionFailed().getCurrentVersion()));
                    } else if (detail != null && detail.hasStaleToken()) {
                        fail(new StaleTokenException(detail.getStaleToken().getCurrentToken()));
                    } else if (detail != null && detail.hasSessionEnded()) {
                        fail(new SessionLostException(detail.getSessionEnded().getSessionId(),
                                "the cluster ended it (no keep-alive reached the lock's shard leader for its TTL, or it was closed)"));
                    } else if (detail != null && detail.hasTxnConflict()) {
                        fail(TransactionConflictException.held(detail.getTxnConflict().getKey().toByteArray(), -1,
                                detail.getTxnConflict().getTxnId().toByteArray()));
                    } else {
                        fail(new CairnException(operation + " refused by " + lastError, t));
                    }
                }
                default -> fail(new CairnException(operation + " failed at " + lastError, t));
            }
        }

        /** NOT_LEADER: follow the hint if it names another address, else try elsewhere after a pause. */
        private void redirect(String address, String leaderAddress) {
            retryAfter(plan.redirected(address, validOrNull(leaderAddress)));
        }

        private void retryElsewhere(String address) {
            retryAfter(plan.failed(address));
        }

        private void retryAfter(long delayMillis) {
            long remainingNanos = deadlineNanos - System.nanoTime();
            if (remainingNanos <= 0) {
                failUnavailable();
                return;
            }
            if (delayMillis == 0) {
                attempt();
                return;
            }
            long waitMillis = Math.min(delayMillis, TimeUnit.NANOSECONDS.toMillis(remainingNanos) + 1);
            try {
                schedule(this::attempt, waitMillis);
            } catch (RejectedExecutionException e) {
                fail(closed());
            }
        }

        private void failUnavailable() {
            fail(new CairnUnavailableException(operation + " failed: no endpoint could serve it within "
                    + timeoutMillis + " ms (" + attempts + " attempts); tried " + String.join(", ", tried)
                    + "; last error: " + lastError, new ArrayList<>(tried), lastFailure));
        }

        void fail(Throwable cause) {
            result.completeExceptionally(cause);
        }
    }

    private static String validOrNull(String address) {
        if (address == null || address.isEmpty()) {
            return null;
        }
        try {
            return Endpoints.checkAddress(address);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** gRPC's own refusal of a message over its size limit, on either side, as opposed to an overloaded node. */
    static boolean tooLarge(Status status) {
        String d = status.getDescription();
        return d != null && (d.contains("exceeds maximum") || d.contains("larger than max") || d.contains("too large"));
    }

    private static IllegalArgumentException invalidArgument(Status status, ErrorDetail detail) {
        if (detail != null && detail.hasInvalidArgument()) {
            InvalidArgument ia = detail.getInvalidArgument();
            if (ia.getLimit() == 0 && ia.getValue() == 0) {
                // A refusal without numbers: the server's description says why.
                String why = status.getDescription();
                return new IllegalArgumentException("invalid argument: " + ia.getField()
                        + (why == null || why.isEmpty() ? "" : ": " + why));
            }
            return new IllegalArgumentException(ia.getField() + " is " + Long.toUnsignedString(ia.getValue())
                    + ", above the server's limit " + Long.toUnsignedString(ia.getLimit()));
        }
        return new IllegalArgumentException("invalid argument: " + ErrorDetails.describe(status));
    }
}
