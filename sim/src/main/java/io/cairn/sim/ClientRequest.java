package io.cairn.sim;

import io.cairn.sim.kv.ClientOp;

/** A client's request to a node; retries of one operation keep (client, seq) and bump attempt. */
public record ClientRequest(int client, long seq, int attempt, ClientOp op) {
    @Override
    public String toString() {
        return "c" + client + "#" + seq + "." + attempt + " " + op;
    }
}
