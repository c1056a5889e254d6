/**
 * {@code cairn bench}: load for a cluster, measured the way etcd's and ZooKeeper's users measure
 * theirs. {@link io.cairn.cli.bench.BenchRunner} runs one benchmark:
 * <ol>
 *   <li>Preload (get, mixed, scan): write every key {@code bench/0000000000} up to
 *       {@code --keys} once, unmeasured, so that reads find data; a failed write stops the run.</li>
 *   <li>Warm up for {@code --warmup} seconds: the same load as the measurement, not recorded.</li>
 *   <li>Measure for {@code --seconds}: every request that starts in this window counts.
 *       <ul>
 *         <li>Closed loop (the default): {@code --clients} requests are always in flight; a
 *             finished one starts the next. Latency runs from the send.</li>
 *         <li>Open loop ({@code --rate}): request {@code i} is due at a fixed time
 *             ({@link io.cairn.cli.bench.FixedRateSchedule}) whatever came before, and latency
 *             runs from then, so a stall is charged to every request it delayed.
 *             {@code --clients} still bounds the requests in flight.</li>
 *       </ul></li>
 *   <li>Drain: wait for the requests still in flight (those of the window count, however late);
 *       any still unfinished after two request timeouts count as timeouts.</li>
 *   <li>Report ({@link io.cairn.cli.bench.BenchResult}): successes and their latency
 *       percentiles from an HdrHistogram in microseconds; failures by
 *       {@link io.cairn.cli.bench.ErrorKind}. The client retries inside its request timeout;
 *       a request that fails after that is counted once, by the kind of its last failure.</li>
 * </ol>
 * Every random choice (keys, values, read or write) comes from {@code --seed}, one generator
 * drawn by the one thread that sends; the same settings give the same sequence of requests.
 * Keys follow {@code --key-dist}: uniform, or Zipfian with theta 0.99
 * ({@link io.cairn.cli.bench.ZipfianGenerator}), where key 0 is the hottest.
 */
package io.cairn.cli.bench;
