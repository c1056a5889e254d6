package io.cairn.kv.state;

import io.cairn.common.Bytes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

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
 *    8 LockGranted varint token, varint expiresAtMillis
 *    9 LockBusy    varint token, varint expiresAtMillis
 *   10 Released    varint token
 *   11 NotHolder   varint currentToken
 *   12 FencedOut   varint currentToken
 *   13 Read        u8 found (0 or 1), then if found: bytes key, bytes value, varint createRevision,
 *                  varint modRevision, varint version, varint expiresAtMillis
 *   14 TxnDone     u8 succeeded, varint failedCompare + 1, varint revision, varint count, then count results, each
 *                  its tag and fields as above (a Written, Deleted or Read)
 *   15 Prepared    varint failedCompare + 1
 *   16 Locked      bytes key, bytes txnId, bytes primaryKey, varint preparedAtMillis
 *   17 Decided     u8 committed
 *   18 Resolved    varint intents
 *   19 LockQueued  varint position, varint holderToken
 *   20 SessionEnded i64 sessionId
 *   21 SessionsEnded varint entries
 *   22 OutcomeUnknown (no fields)
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
    static final int TAG_LOCK_GRANTED = 8;
    static final int TAG_LOCK_BUSY = 9;
    static final int TAG_RELEASED = 10;
    static final int TAG_NOT_HOLDER = 11;
    static final int TAG_FENCED_OUT = 12;
    static final int TAG_READ = 13;
    static final int TAG_TXN_DONE = 14;
    static final int TAG_PREPARED = 15;
    static final int TAG_LOCKED = 16;
    static final int TAG_DECIDED = 17;
    static final int TAG_RESOLVED = 18;
    static final int TAG_LOCK_QUEUED = 19;
    static final int TAG_SESSION_ENDED = 20;
    static final int TAG_SESSIONS_ENDED = 21;
    static final int TAG_OUTCOME_UNKNOWN = 22;

    private static final String WHAT = "result";

    private ResultCodec() {}

    static Bytes encode(Result result) {
        Encoder out = new Encoder(24);
        out.writeByte(VERSION);
        writeResult(out, result);
        return out.toBytes();
    }

    private static void writeResult(Encoder out, Result result) {
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
        } else if (result instanceof Result.LockGranted g) {
            out.writeByte(TAG_LOCK_GRANTED).writeVarLong(g.token()).writeVarLong(g.expiresAtMillis());
        } else if (result instanceof Result.LockBusy b) {
            out.writeByte(TAG_LOCK_BUSY).writeVarLong(b.token()).writeVarLong(b.expiresAtMillis());
        } else if (result instanceof Result.Released r) {
            out.writeByte(TAG_RELEASED).writeVarLong(r.token());
        } else if (result instanceof Result.NotHolder n) {
            out.writeByte(TAG_NOT_HOLDER).writeVarLong(n.currentToken());
        } else if (result instanceof Result.FencedOut f) {
            out.writeByte(TAG_FENCED_OUT).writeVarLong(f.currentToken());
        } else if (result instanceof Result.Read r) {
            out.writeByte(TAG_READ).writeBoolean(r.kv() != null);
            if (r.kv() != null) {
                KeyValue kv = r.kv();
                out.writeBytes(kv.key()).writeBytes(kv.value()).writeVarLong(kv.createRevision())
                        .writeVarLong(kv.modRevision()).writeVarLong(kv.version()).writeVarLong(kv.expiresAtMillis());
            }
        } else if (result instanceof Result.TxnDone t) {
            out.writeByte(TAG_TXN_DONE).writeBoolean(t.succeeded()).writeVarLong(t.failedCompare() + 1L)
                    .writeVarLong(t.revision())                    .writeVarLong(t.results().size());
            for (Result r : t.results()) {
                writeResult(out, r);
            }
        } else if (result instanceof Result.Prepared p) {
            out.writeByte(TAG_PREPARED).writeVarLong(p.failedCompare() + 1L);
        } else if (result instanceof Result.Locked l) {
            out.writeByte(TAG_LOCKED).writeBytes(l.key()).writeBytes(l.txnId()).writeBytes(l.primaryKey())
                    .writeVarLong(l.preparedAtMillis());
        } else if (result instanceof Result.Decided d) {
            out.writeByte(TAG_DECIDED).writeBoolean(d.committed());
        } else if (result instanceof Result.OutcomeUnknown) {
            out.writeByte(TAG_OUTCOME_UNKNOWN);
        } else if (result instanceof Result.Resolved r) {
            out.writeByte(TAG_RESOLVED).writeVarLong(r.intents());
        } else if (result instanceof Result.LockQueued q) {
            out.writeByte(TAG_LOCK_QUEUED).writeVarLong(q.position()).writeVarLong(q.holderToken());
        } else if (result instanceof Result.SessionEnded e) {
            out.writeByte(TAG_SESSION_ENDED).writeLong(e.sessionId());
        } else if (result instanceof Result.SessionsEnded e) {
            out.writeByte(TAG_SESSIONS_ENDED).writeVarLong(e.entries());
        } else {
            throw new AssertionError("unknown result " + result);
        }
    }

    static Result decode(Bytes data) {
        Decoder in = new Decoder(data, WHAT);
        in.readVersion(VERSION);
        try {
            Result result = readResult(in, true);
            in.finish();
            return result;
        } catch (CodecException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new CodecException("corrupt " + WHAT + ": " + e.getMessage());
        }
    }

    private static Result readResult(Decoder in, boolean outer) {
        int tagOffset = in.position();
        int tag = in.readByte("result tag");
        return switch (tag) {
            case TAG_WRITTEN -> new Result.Written(in.readVarLong("revision"), in.readVarLong("version"));
            case TAG_DELETED -> new Result.Deleted(in.readVarLong("revision"), in.readBoolean("existed"));
            case TAG_CAS_FAILED -> new Result.CasFailed(in.readVarLong("actualVersion"));
            case TAG_EXPIRED -> new Result.Expired(in.readVarInt("keysRemoved"),
                    in.readVarInt("sessionsForgotten"), in.readBoolean("more"));
            case TAG_STALE -> new Result.Stale(in.readVarLong("lastSequence"));
            case TAG_REJECTED -> new Result.Rejected(RejectReason.ofCode(in.readByte("reason")),
                    in.readBytes("message").toUtf8());
            case TAG_SKIPPED -> new Result.Skipped();
            case TAG_LOCK_GRANTED -> new Result.LockGranted(in.readVarLong("token"), in.readVarLong("expiresAtMillis"));
            case TAG_LOCK_BUSY -> new Result.LockBusy(in.readVarLong("token"), in.readVarLong("expiresAtMillis"));
            case TAG_RELEASED -> new Result.Released(in.readVarLong("token"));
            case TAG_NOT_HOLDER -> new Result.NotHolder(in.readVarLong("currentToken"));
            case TAG_FENCED_OUT -> new Result.FencedOut(in.readVarLong("currentToken"));
            case TAG_READ -> new Result.Read(in.readBoolean("found") ? new KeyValue(in.readBytes("key"),
                    in.readBytes("value"), in.readVarLong("createRevision"), in.readVarLong("modRevision"),
                    in.readVarLong("version"), in.readVarLong("expiresAtMillis")) : null);
            case TAG_TXN_DONE -> {
                if (!outer) {
                    throw in.corrupt("a transaction result inside a transaction result", tagOffset);
                }
                boolean succeeded = in.readBoolean("succeeded");
                int failedCompare = in.readVarInt("failedCompare") - 1;
                long revision = in.readVarLong("revision");
                int count = in.readVarInt("count");
                List<Result> results = new ArrayList<>(Math.min(count, Limits.TXN_OPS_MAX));
                for (int i = 0; i < count; i++) {
                    results.add(readResult(in, false));
                }
                yield new Result.TxnDone(succeeded, failedCompare, revision, results);
            }
            case TAG_PREPARED -> new Result.Prepared(in.readVarInt("failedCompare") - 1);
            case TAG_LOCKED -> new Result.Locked(in.readBytes("key"), in.readBytes("txnId"), in.readBytes("primaryKey"),
                    in.readVarLong("preparedAtMillis"));
            case TAG_DECIDED -> new Result.Decided(in.readBoolean("committed"));
            case TAG_OUTCOME_UNKNOWN -> new Result.OutcomeUnknown();
            case TAG_RESOLVED -> new Result.Resolved(in.readVarInt("intents"));
            case TAG_LOCK_QUEUED -> new Result.LockQueued(in.readVarInt("position"), in.readVarLong("holderToken"));
            case TAG_SESSION_ENDED -> new Result.SessionEnded(in.readLong("sessionId"));
            case TAG_SESSIONS_ENDED -> new Result.SessionsEnded(in.readVarInt("entries"));
            default -> throw in.corrupt("unknown result tag " + tag, tagOffset);
        };
    }
}
