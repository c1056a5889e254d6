package io.cairn.sim;

import io.cairn.common.RandomSource;
import io.cairn.consensus.ConsensusCore;
import io.cairn.consensus.LogStorage;
import io.cairn.raft.RaftConfig;
import io.cairn.raft.RaftNode;

/** Builds the consensus engine a simulated node runs; the seam that lets tests plant a fake. */
@FunctionalInterface
public interface CoreFactory {
    ConsensusCore create(RaftConfig config, LogStorage storage, RandomSource random, io.cairn.common.FaultPoints faults);

    CoreFactory RAFT = RaftNode::new;
}
