package io.cairn.consensus;

import io.cairn.common.NodeId;

/** A message between the engines of one group. Engines define their own kinds. */
public interface ConsensusMessage {
    NodeId from();

    NodeId to();

    /** The sender's term (or ballot) when it sent the message. */
    long term();
}
