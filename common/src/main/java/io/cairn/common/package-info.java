/**
 * What every Cairn module may depend on: identities ({@link io.cairn.common.NodeId},
 * {@link io.cairn.common.GroupId}), immutable {@link io.cairn.common.Bytes}, always-on
 * {@link io.cairn.common.Invariants}, and the seams through which all nondeterminism enters:
 * {@link io.cairn.common.Clock} and {@link io.cairn.common.RandomSource}.
 */
package io.cairn.common;
