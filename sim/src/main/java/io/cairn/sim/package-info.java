/**
 * The deterministic simulator: a Raft group, its clients, a faulty network and a nemesis on one
 * single-threaded scheduler over virtual time, driven by one seeded PRNG.
 *
 * <p>How a run goes ({@link io.cairn.sim.Simulation}):
 * <ol>
 *   <li>The seed picks every knob ({@link io.cairn.sim.SimParams}): fault rates, delays, Raft limits,
 *       read mode, workload shape.</li>
 *   <li>Fault phase (10 s virtual): nodes tick every 10 ms; clients issue PUT/GET/CAS/DELETE through
 *       the network; the {@link io.cairn.sim.Network} drops, delays, reorders and duplicates
 *       messages; the {@link io.cairn.sim.Nemesis} partitions, crashes and restarts nodes, fills
 *       their disks, changes membership, transfers leadership and compacts logs.</li>
 *   <li>Every node is hosted exactly as {@link io.cairn.consensus.Ready} prescribes
 *       ({@link io.cairn.sim.SimNode}), applying committed entries to the real replicated state
 *       machine, kv-state's {@code KvStateMachine} on a {@code MemoryKvEngine}
 *       ({@link io.cairn.sim.kv.KvReplica}), and persisting with the server's
 *       {@code WalLogStore} on the machine's {@link io.cairn.sim.SimDisk}, whose unsynced writes a
 *       crash loses or tears; clients place their attempts by the Java client's rule
 *       ({@code AttemptPlan}); after every event the {@link io.cairn.sim.InvariantChecker} checks
 *       Raft's safety properties and that what was persisted survives every crash.</li>
 *   <li>Healing: the network is repaired and crashed members restart; within a bound the cluster
 *       must elect a leader, answer every client and converge.</li>
 *   <li>Final reads of every key, then the whole client history goes to the linearizability checker
 *       ({@link io.cairn.sim.lin}) with {@link io.cairn.sim.lin.VersionedKvModel}, kv-state's
 *       semantics.</li>
 * </ol>
 * With {@code --workload lock} all clients but one run {@link io.cairn.sim.LockClient} instead
 * (kv-state's locks, fenced writes of a shared register, holders pausing past the TTL), leaders
 * propose Expire as the server does, and {@link io.cairn.sim.LockCheck} judges the lock steps of
 * the history; {@code --unsafe-unfenced-locks} is its negative control.
 * A run's {@link io.cairn.sim.TraceDigest} is a hash over every event: the same seed and options
 * always give the same digest. {@link io.cairn.sim.SimulateMain} is the command line.
 */
package io.cairn.sim;
