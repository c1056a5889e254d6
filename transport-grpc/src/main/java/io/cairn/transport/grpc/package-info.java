/**
 * gRPC transport between Cairn nodes, and the codecs between the wire protos of
 * {@code cairn-api} and Cairn's records.
 *
 * <p>A node runs one gRPC server for peers and clients alike. For the Raft traffic of all the
 * groups it hosts, the node:
 * <ol>
 *   <li>builds its server with {@link io.cairn.transport.grpc.RaftTransportService#configure}
 *       and registers a {@link io.cairn.transport.grpc.RaftTransportService} whose
 *       {@link io.cairn.transport.grpc.RaftInbox} hands each message to the group it names
 *       (quickly: the inbox runs on a gRPC thread);</li>
 *   <li>creates one {@link io.cairn.transport.grpc.PeerTransport} with the peers' addresses,
 *       and calls {@code updatePeers} when membership changes;</li>
 *   <li>for each Ready, sends {@code messages()} and, once the batch is durable,
 *       {@code messagesAfterPersist()} through {@code PeerTransport.send}, which never blocks
 *       and may drop (Raft retries); the counters in {@code metrics()} say how much;</li>
 *   <li>on shutdown, closes the PeerTransport, then stops the server (which releases its
 *       port).</li>
 * </ol>
 * Client API errors are built and read with {@link io.cairn.transport.grpc.GrpcErrors}.
 */
package io.cairn.transport.grpc;
