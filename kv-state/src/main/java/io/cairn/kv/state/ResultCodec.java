package io.cairn.kv.state;

import io.cairn.common.Bytes;
import java.nio.charset.StandardCharsets;

/**
 * The binary layout of a {@link Result}, version 1 (varint and bytes as in {@link CommandCodec}).
 *
 * <pre>
 * u8 format version (1)
 * u8 result tag, then its fields:
 *    1 Written    varint revision, varint version
 *    2 Deleted    varint revision, u8 existed (0 or 1)
 *    3 CasFailed  varint actualVersion
 *    4 Expired    varint keysRemoved, varint sessionsForgotten, u8 more (0 or 1)
 *    5 Stale      varint lastSequence
 *    6 Rejected   u8 reason code, bytes message (UTF-8)
 *    7 Skipped    (no fields)
 * </pre>
 */
final class ResultCodec {
    static final int VERSION = 1;
    static final int TAG_WRITTEN = 1;
    static final int TAG_DELETED = 2;
    static final int TAG_CAS_FAILED = 3;
    static final int TAG_EXPIRED = 4;
    static final int TAG_STALE = 5;
    static final int TAG_REJECTED = 6;
    static final int TAG_SKIPPED = 7;

    private static final String WHAT = "result";

    private ResultCodec() {}

    static Bytes encode(Result result) {
        Encoder out = new Encoder(24);
        out.writeByte(VERSION);
        if (result instanceof Result.Written w) {
            out.writeByte(TAG_WRITTEN).writeVarLong(w.revision()).writeVarLong(w.version());
        } else if (result instanceof Result.Deleted d) {
            out.writeByte(TAG_DELETED).writeVarLong(d.revision()).writeBoolean(d.existed());
        } else if (result instanceof Result.CasFailed c) {
            out.writeByte(TAG_CAS_FAILED).writeVarLong(c.actualVersion());
        } else if (result instanceof Result.Expired e) {
            out.writeByte(TAG_EXPIRED).writeVarLong(e.keysRemoved()).writeVarLong(e.sessionsForgotten())
                    .writeBoolean(e.more());
        } else if (result instanceof Result.Stale s) {
            out.writeByte(TAG_STALE).writeVarLong(s.lastSequence());
        } else if (result instanceof Result.Rejected r) {
            out.writeByte(TAG_REJECTED).writeByte(r.reason().code())
                    .writeBytes(Bytes.wrap(r.message().getBytes(StandardCharsets.UTF_8)));
        } else if (result instanceof Result.Skipped) {
            out.writeByte(TAG_SKIPPED);
        } else {
            throw new AssertionError("unknown result " + result);
        }
        return out.toBytes();
    }

    static Result decode(Bytes data) {
        Decoder in = new Decoder(data, WHAT);
        in.readVersion(VERSION);
        int tagOffset = in.position();
        int tag = in.readByte("result tag");
        try {
            Result result = switch (tag) {
                case TAG_WRITTEN -> new Result.Written(in.readVarLong("revision"), in.readVarLong("version"));
                case TAG_DELETED -> new Result.Deleted(in.readVarLong("revision"), in.readBoolean("existed"));
                case TAG_CAS_FAILED -> new Result.CasFailed(in.readVarLong("actualVersion"));
                case TAG_EXPIRED -> new Result.Expired(in.readVarInt("keysRemoved"),
                        in.readVarInt("sessionsForgotten"), in.readBoolean("more"));
                case TAG_STALE -> new Result.Stale(in.readVarLong("lastSequence"));
                case TAG_REJECTED -> new Result.Rejected(RejectReason.ofCode(in.readByte("reason")),
                        in.readBytes("message").toUtf8());
                case TAG_SKIPPED -> new Result.Skipped();
                default -> throw in.corrupt("unknown result tag " + tag, tagOffset);
            };
            in.finish();
            return result;
        } catch (CodecException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new CodecException("corrupt " + WHAT + ": " + e.getMessage());
        }
    }
}
