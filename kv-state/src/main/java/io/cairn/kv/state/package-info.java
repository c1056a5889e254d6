/**
 * The replicated state machine of a shard: a key-value map with etcd-style metadata, TTLs and
 * exactly-once client sessions, applied from committed log entries onto a
 * {@link io.cairn.kv.engine.KvEngine}.
 *
 * <h2>What the host does</h2>
 * <ol>
 *   <li>At the edge, before proposing, check the request with {@link io.cairn.kv.state.Limits}
 *       ({@code check(command)}, {@code checkScanLimit}); a bad request fails there with an
 *       {@link java.lang.IllegalArgumentException} that names the limit and the value.</li>
 *   <li>Propose {@link io.cairn.kv.state.CommandEnvelope#encode()}: the client's id and sequence,
 *       the leader's current time in {@code leaderTimestampMillis}, and the command.</li>
 *   <li>On the leader, propose {@link io.cairn.kv.state.Command.Expire} periodically (and again
 *       soon when a result says {@code more}), stamped with the leader's time and
 *       {@link io.cairn.kv.state.CommandEnvelope#NO_SESSION}.</li>
 *   <li>Hand committed entries, in order and starting at
 *       {@link io.cairn.kv.state.KvStateMachine#appliedIndex()} + 1, to
 *       {@link io.cairn.kv.state.KvStateMachine#apply}; answer each waiting client with the
 *       result at its entry's position in the returned list.</li>
 *   <li>After a restart, construct the state machine over the same engine and tell the
 *       consensus core the applied index it reads back; replay the log from there.</li>
 *   <li>Serve reads with {@code get} and {@code scan}, passing the time of the read; keys whose
 *       TTL has passed are invisible even before an Expire removes them.</li>
 * </ol>
 *
 * <h2>Key layout in the engine</h2>
 * One ordered keyspace; the first byte names the family, so a scan of user keys never meets
 * anything else. Numbers in keys are 8 bytes big-endian.
 * <pre>
 * 0x00 "applied"                            applied index, term, clock (varints)
 * 0x01 userKey                              value + createRevision, modRevision, version, expiresAtMillis
 * 0x02 expiresAtMillis userKey              TTL index (empty value), ordered by expiry
 * 0x03 clientId                             session: last sequence, last activity, encoded result
 * 0x04 lastActivityMillis clientId          session idle index (empty value), ordered by activity
 * </pre>
 *
 * <h2>Determinism</h2>
 * Every replica applies the same entries to the same state and must end in the same state, byte
 * for byte. So apply reads no clock, no randomness and iterates nothing in hash order: time
 * comes only from the leader's timestamps in the entries, and the state machine's clock is the
 * largest timestamp applied so far, so it never goes back when leadership moves to a node whose
 * clock lags. The revision of a write is the log index of its entry, unique and increasing.
 * {@link io.cairn.kv.state.KvStateMachine.Options}, limits included, are part of this definition
 * and must be equal on all replicas.
 *
 * <h2>Atomic apply</h2>
 * One {@code apply} call writes one engine batch holding all its entries' effects and the new
 * applied index and term, so after a crash the engine is exactly at some applied index and the
 * log replays from there. An entry that does not decode, or breaks a limit, yields a
 * {@link io.cairn.kv.state.Result.Rejected} and changes nothing: a bad entry cannot corrupt or
 * half-apply. Leader no-ops (empty data) and configuration entries only advance the index.
 *
 * <h2>Exactly-once (Raft dissertation §6.3)</h2>
 * For each client id the state keeps its last sequence, the encoded result of that command and
 * the time of its last new command. A command with a higher sequence is applied and its result
 * stored; one with the same sequence is a retry and gets the stored result without being applied
 * again; one with a lower sequence gets {@link io.cairn.kv.state.Result.Stale} and changes
 * nothing. A client therefore must not have two commands in flight with different sequences
 * unless it sends them in order. Sessions are created implicitly by a client's first command.
 * <p><b>Caveat</b>, as etcd and other Raft implementations document: an Expire forgets sessions
 * idle longer than {@code sessionTtlMillis} (10 minutes by default). A client idle for longer
 * that then retries an old write may see it applied twice. Commands with
 * {@link io.cairn.kv.state.CommandEnvelope#NO_SESSION} are never deduplicated.
 *
 * <h2>TTL</h2>
 * A put or compare-and-set with {@code ttlMillis > 0} makes the key expire at the state
 * machine's clock plus the TTL; one with {@code ttlMillis == 0} clears any TTL the key had. A key
 * is live while {@code now < expiresAtMillis}. Writes see an expired key as absent: a put
 * re-creates it at version 1, a compare-and-set sees version 0, a delete reports it did not
 * exist. An Expire removes keys due at its time through the TTL index, without scanning live
 * keys, and at most {@code expireBatchMax} keys and sessions each per command.
 */
package io.cairn.kv.state;
