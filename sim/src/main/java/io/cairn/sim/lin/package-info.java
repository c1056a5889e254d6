/**
 * A linearizability checker for histories recorded by the simulator (or by any test that
 * drives concurrent clients), and two models of a key-value store: {@link
 * io.cairn.sim.lin.VersionedKvModel}, Cairn's API with versions as kv-state implements it, which
 * the simulator checks against, and the simpler {@link io.cairn.sim.lin.KvModel}, whose
 * compare-and-set compares values.
 *
 * <p>How to use it:
 *
 * <ol>
 *   <li>Record every client operation as an {@link io.cairn.sim.lin.Operation}: its input, its
 *       output, and the times of its call and its return, all read from one clock (in the
 *       simulator, virtual time). Equal times count as overlapping.
 *   <li>Record an operation whose outcome the client never learned (a timeout, a crash, a lost
 *       reply) with {@link io.cairn.sim.lin.Operation#pending}: no output, return time at
 *       infinity. Do not drop it: it may have taken effect, and a later read may show it. Do not
 *       guess its output either: the checker considers both that it took effect, at any instant
 *       after its call, and that it never did.
 *   <li>Call {@link io.cairn.sim.lin.LinearizabilityChecker#check} with a
 *       {@link io.cairn.sim.lin.Model}, such as {@link io.cairn.sim.lin.VersionedKvModel}, and act on the
 *       {@link io.cairn.sim.lin.CheckResult}: {@code Ok} passes; {@code Illegal} fails the run
 *       and its {@code explanation()} goes into the report next to the simulator's seed;
 *       {@code Unknown} means the {@link io.cairn.sim.lin.Budget} ran out, which a run should
 *       treat as a failure to investigate rather than a pass.
 * </ol>
 *
 * <p>The checker is single-threaded and, with a step budget, deterministic: the same history and
 * model always produce the same result. It does not depend on the rest of the simulator.
 */
package io.cairn.sim.lin;
