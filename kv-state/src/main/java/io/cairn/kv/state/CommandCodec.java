package io.cairn.kv.state;

import io.cairn.common.Bytes;

/**
 * The binary layout of a {@link CommandEnvelope}, version 1. Integers marked varint are unsigned
 * LEB128; {@code bytes} is a varint length followed by that many bytes.
 *
 * <pre>
 * u8     format version (1)
 * i64    clientId, big-endian (0 = no session)
 * varint sequence
 * varint leaderTimestampMillis
 * u8     command tag, then its fields:
 *        1 Put            bytes key, bytes value, varint ttlMillis
 *        2 Delete         bytes key
 *        3 CompareAndSet  bytes key, varint expectedVersion, bytes value, varint ttlMillis
 *        4 Expire         varint nowMillis
 * </pre>
 * Nothing may follow the last field. A put of a 16-byte key and 100-byte value with a session
 * takes about 140 bytes. A new version gets a new version byte; old entries stay readable only
 * while their version is still decoded here, which a release that changes the layout must keep.
 */
final class CommandCodec {
    static final int VERSION = 1;
    static final int TAG_PUT = 1;
    static final int TAG_DELETE = 2;
    static final int TAG_COMPARE_AND_SET = 3;
    static final int TAG_EXPIRE = 4;

    private static final String WHAT = "command envelope";

    private CommandCodec() {}

    static Bytes encode(CommandEnvelope envelope) {
        Encoder out = new Encoder(32 + payloadBytes(envelope.command()));
        out.writeByte(VERSION);
        out.writeLong(envelope.clientId());
        out.writeVarLong(envelope.sequence());
        out.writeVarLong(envelope.leaderTimestampMillis());
        Command command = envelope.command();
        if (command instanceof Command.Put put) {
            out.writeByte(TAG_PUT).writeBytes(put.key()).writeBytes(put.value()).writeVarLong(put.ttlMillis());
        } else if (command instanceof Command.Delete delete) {
            out.writeByte(TAG_DELETE).writeBytes(delete.key());
        } else if (command instanceof Command.CompareAndSet cas) {
            out.writeByte(TAG_COMPARE_AND_SET).writeBytes(cas.key()).writeVarLong(cas.expectedVersion())
                    .writeBytes(cas.value()).writeVarLong(cas.ttlMillis());
        } else if (command instanceof Command.Expire expire) {
            out.writeByte(TAG_EXPIRE).writeVarLong(expire.nowMillis());
        } else {
            throw new AssertionError("unknown command " + command);
        }
        return out.toBytes();
    }

    static CommandEnvelope decode(Bytes data) {
        Decoder in = new Decoder(data, WHAT);
        in.readVersion(VERSION);
        long clientId = in.readLong("clientId");
        long sequence = in.readVarLong("sequence");
        long timestampMillis = in.readVarLong("leaderTimestampMillis");
        int tagOffset = in.position();
        int tag = in.readByte("command tag");
        Command command;
        try {
            command = switch (tag) {
                case TAG_PUT -> new Command.Put(in.readBytes("key"), in.readBytes("value"), in.readVarLong("ttlMillis"));
                case TAG_DELETE -> new Command.Delete(in.readBytes("key"));
                case TAG_COMPARE_AND_SET -> new Command.CompareAndSet(in.readBytes("key"),
                        in.readVarLong("expectedVersion"), in.readBytes("value"), in.readVarLong("ttlMillis"));
                case TAG_EXPIRE -> new Command.Expire(in.readVarLong("nowMillis"));
                default -> throw in.corrupt("unknown command tag " + tag, tagOffset);
            };
            in.finish();
            return new CommandEnvelope(clientId, sequence, timestampMillis, command);
        } catch (CodecException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // Fields that decode but break a record's rule, e.g. a session with sequence 0.
            throw new CodecException("corrupt " + WHAT + ": " + e.getMessage());
        }
    }

    private static int payloadBytes(Command command) {
        if (command instanceof Command.Put put) {
            return put.key().size() + put.value().size();
        } else if (command instanceof Command.CompareAndSet cas) {
            return cas.key().size() + cas.value().size();
        } else if (command instanceof Command.Delete delete) {
            return delete.key().size();
        }
        return 0;
    }
}
