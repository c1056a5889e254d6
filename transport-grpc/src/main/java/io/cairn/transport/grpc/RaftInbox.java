package io.cairn.transport.grpc;

import io.cairn.common.GroupId;
import io.cairn.raft.RaftMessage;

/**
 * Where {@link RaftTransportService} hands each message it receives. Called on a gRPC thread,
 * in the order the sending peer sent them; several peers' streams may call it concurrently.
 * It must not block for long: a slow inbox stalls that peer's stream (gRPC flow control pushes
 * back to the sender, whose queue then drops). A typical inbox enqueues for the node's Raft loop.
 */
@FunctionalInterface
public interface RaftInbox {
    void deliver(GroupId group, RaftMessage message);
}
