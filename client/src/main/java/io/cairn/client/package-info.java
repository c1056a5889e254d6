/**
 * The Java client of Cairn. Start at {@link io.cairn.client.CairnClient}.
 *
 * <p>What a client does for each request:
 * <ol>
 *   <li>checks the arguments against the (default) server limits and throws
 *       {@link java.lang.IllegalArgumentException} before sending anything;</li>
 *   <li>for a write, takes a write session from {@link io.cairn.client.SessionPool} and numbers
 *       the write with that session's next sequence; the pair stays the same on every retry, and
 *       the session is held until the write is finished, so no session ever has two writes in
 *       flight (the server remembers only the last sequence per session);</li>
 *   <li>sends it to the leader it last saw, else to a configured endpoint
 *       ({@link io.cairn.client.Endpoints}), and follows NOT_LEADER hints or moves on after a
 *       jittered, doubling back-off ({@link io.cairn.client.Retrier}) until the deadline;</li>
 *   <li>maps the answer: a value, {@link io.cairn.client.CasFailedException},
 *       {@link java.lang.IllegalArgumentException} for INVALID_ARGUMENT, or, once the deadline
 *       passes, {@link io.cairn.client.CairnUnavailableException} naming every endpoint tried.</li>
 * </ol>
 * Every method has an async form returning a {@link java.util.concurrent.CompletableFuture} and a
 * blocking twin. Futures complete on gRPC or client threads: do not block in their callbacks.
 */
package io.cairn.client;
