/**
 * {@code compare-bench}: {@code cairn bench} against etcd and ZooKeeper as well as Cairn (issue
 * 4). Only the {@link io.cairn.cli.bench.BenchTarget} differs between the systems; the runner,
 * the requests it draws from the seed, the latency recording and the output are
 * {@code io.cairn.cli.bench}'s own.
 * <ol>
 *   <li>{@link io.cairn.compare.CompareBench} reads {@code cairn bench}'s options and
 *       {@code --target}, checks them all before connecting, and runs one benchmark.</li>
 *   <li>{@link io.cairn.compare.EtcdTarget} speaks etcd's gRPC KV API (Range, Put, Txn), and for
 *       the lock workload its Lease and lock services, from our own minimal {@code etcd_kv.proto},
 *       {@code etcd_lease.proto} and {@code etcd_lock.proto}.</li>
 *   <li>{@link io.cairn.compare.ZooKeeperTarget} uses ZooKeeper's asynchronous client, one znode
 *       per key ({@link io.cairn.compare.ZnodePaths}), and for the lock workload Curator's
 *       {@code InterProcessMutex}.</li>
 *   <li>{@link io.cairn.compare.Failures} puts their failures in Cairn's terms, so failures are
 *       counted by the same kinds for every system.</li>
 * </ol>
 * How each request maps onto each system, and the scripts that start the clusters and run the
 * comparison: {@code bench/compare/README.md}.
 */
package io.cairn.compare;
