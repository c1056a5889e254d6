package io.cairn.sim;

/** A lock session's keep-alive from a simulated client to a node, as the Lock service's KeepAlive stream carries it. */
record SimKeepalive(long sessionId) {}
