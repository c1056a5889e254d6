package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.InvariantViolation;

/**
 * A client's exactly-once record: its last sequence, the encoded result of that command, and
 * the (leader) time of its last new command. Layout, version 1: u8 version, varint
 * lastSequence, varint lastActivityMillis, then the encoded {@link Result} to the end.
 */
record Session(long lastSequence, long lastActivityMillis, Bytes encodedResult) {
    static final int FORMAT_VERSION = 1;

    byte[] encode() {
        return new Encoder(24 + encodedResult.size())
                .writeByte(FORMAT_VERSION)
                .writeVarLong(lastSequence)
                .writeVarLong(lastActivityMillis)
                .writeRaw(encodedResult)
                .toArray();
    }

    /** The stored result; a session whose result does not decode means a corrupt engine. */
    Result result(long clientId) {
        try {
            return Result.decode(encodedResult);
        } catch (CodecException e) {
            throw new InvariantViolation("session of client " + clientId + " holds a corrupt result: " + e.getMessage());
        }
    }

    static Session decode(byte[] data, long clientId) {
        try {
            Decoder in = new Decoder(data, "session");
            in.readVersion(FORMAT_VERSION);
            return new Session(in.readVarLong("lastSequence"), in.readVarLong("lastActivityMillis"), in.readRest());
        } catch (IllegalArgumentException e) {
            throw new InvariantViolation("engine holds a corrupt session of client " + clientId + ": " + e.getMessage());
        }
    }
}
