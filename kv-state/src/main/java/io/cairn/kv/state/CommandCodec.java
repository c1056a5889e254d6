package io.cairn.kv.state;

import io.cairn.common.Bytes;
import java.util.ArrayList;
import java.util.List;

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
 *        5 Lock           bytes name, bytes owner, varint ttlMillis
 *        6 Unlock         bytes name, varint token
 *        7 Fenced         bytes lock, varint token, then a Put, Delete or CompareAndSet:
 *                         its tag and fields as above
 *        8 SetTtl         bytes key, varint ttlMillis
 *        9 Txn            varint compareCount, then each compare: u8 target code, u8 relation
 *                         code, bytes key, then varint number, or bytes value for VALUE;
 *                         then the success and the failure branch, each varint opCount and
 *                         per op its tag and fields: a Put or Delete as above, or 10 Get (bytes key)
 *       11 Prepare        bytes txnId, bytes primaryKey, u8 lockReads, the compares as in Txn, then
 *                         the writes as one branch of Txn (puts and deletes only); written before
 *                         read intents were shared
 *       21 PrepareShared  the fields of Prepare (a Prepare with sharedReads)
 *       12 Decide         bytes txnId, u8 commit (written before decisions named their primary key)
 *       13 Resolve        bytes txnId, u8 commit, varint keyCount, then each key as bytes
 *       14 Forget         bytes txnId
 *       15 SetSystem      bytes name, varint expectedVersion, bytes value
 *       16 SessionLock    bytes name, bytes owner, varint ttlMillis, i64 sessionId, varint permits,
 *                         varint weight, u8 waits, varint lockDelayMillis, bytes value (a Lock with
 *                         any field beyond the first three set; tag 5 holds the others)
 *       17 LockRelease    bytes name, i64 sessionId, bytes owner
 *       18 EndSessions    u8 expired, varint count, then each session id as i64
 *       19 Proclaim       bytes name, i64 sessionId, bytes owner, bytes value
 *       20 DecideHeld     bytes txnId, u8 commit, bytes primaryKey, varint keyCount, then each
 *                         intent key as bytes (a Decide with its primary key)
 *       22 FencedRelease  the fields of Fenced (a Fenced that releases its grant; Put or Delete)
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
    static final int TAG_LOCK = 5;
    static final int TAG_UNLOCK = 6;
    static final int TAG_FENCED = 7;
    static final int TAG_SET_TTL = 8;
    static final int TAG_TXN = 9;
    static final int TAG_TXN_GET = 10;
    static final int TAG_PREPARE = 11;
    static final int TAG_DECIDE = 12;
    static final int TAG_RESOLVE = 13;
    static final int TAG_FORGET = 14;
    static final int TAG_SET_SYSTEM = 15;
    static final int TAG_SESSION_LOCK = 16;
    static final int TAG_LOCK_RELEASE = 17;
    static final int TAG_END_SESSIONS = 18;
    static final int TAG_PROCLAIM = 19;
    static final int TAG_DECIDE_HELD = 20;
    static final int TAG_PREPARE_SHARED = 21;
    static final int TAG_FENCED_RELEASE = 22;

    private static final String WHAT = "command envelope";

    private CommandCodec() {}

    static Bytes encode(CommandEnvelope envelope) {
        Encoder out = new Encoder(32 + payloadBytes(envelope.command()));
        out.writeByte(VERSION);
        out.writeLong(envelope.clientId());
        out.writeVarLong(envelope.sequence());
        out.writeVarLong(envelope.leaderTimestampMillis());
        writeCommand(out, envelope.command());
        return out.toBytes();
    }

    private static void writeCommand(Encoder out, Command command) {
        if (command instanceof Command.Put put) {
            out.writeByte(TAG_PUT).writeBytes(put.key()).writeBytes(put.value()).writeVarLong(put.ttlMillis());
        } else if (command instanceof Command.Delete delete) {
            out.writeByte(TAG_DELETE).writeBytes(delete.key());
        } else if (command instanceof Command.CompareAndSet cas) {
            out.writeByte(TAG_COMPARE_AND_SET).writeBytes(cas.key()).writeVarLong(cas.expectedVersion())
                    .writeBytes(cas.value()).writeVarLong(cas.ttlMillis());
        } else if (command instanceof Command.Expire expire) {
            out.writeByte(TAG_EXPIRE).writeVarLong(expire.nowMillis());
        } else if (command instanceof Command.Lock lock && lock.equals(new Command.Lock(lock.name(), lock.owner(), lock.ttlMillis()))) {
            out.writeByte(TAG_LOCK).writeBytes(lock.name()).writeBytes(lock.owner()).writeVarLong(lock.ttlMillis());
        } else if (command instanceof Command.Lock lock) {
            out.writeByte(TAG_SESSION_LOCK).writeBytes(lock.name()).writeBytes(lock.owner()).writeVarLong(lock.ttlMillis())
                    .writeLong(lock.sessionId()).writeVarLong(lock.permits()).writeVarLong(lock.weight())
                    .writeBoolean(lock.waits()).writeVarLong(lock.lockDelayMillis()).writeBytes(lock.value());
        } else if (command instanceof Command.Proclaim p) {
            out.writeByte(TAG_PROCLAIM).writeBytes(p.name()).writeLong(p.sessionId()).writeBytes(p.owner())
                    .writeBytes(p.value());
        } else if (command instanceof Command.LockRelease r) {
            out.writeByte(TAG_LOCK_RELEASE).writeBytes(r.name()).writeLong(r.sessionId()).writeBytes(r.owner());
        } else if (command instanceof Command.EndSessions e) {
            out.writeByte(TAG_END_SESSIONS).writeBoolean(e.expired()).writeVarLong(e.sessionIds().size());
            for (long id : e.sessionIds()) {
                out.writeLong(id);
            }
        } else if (command instanceof Command.Unlock unlock) {
            out.writeByte(TAG_UNLOCK).writeBytes(unlock.name()).writeVarLong(unlock.token());
        } else if (command instanceof Command.SetTtl setTtl) {
            out.writeByte(TAG_SET_TTL).writeBytes(setTtl.key()).writeVarLong(setTtl.ttlMillis());
        } else if (command instanceof Command.Fenced fenced) {
            out.writeByte(fenced.release() ? TAG_FENCED_RELEASE : TAG_FENCED).writeBytes(fenced.lock())
                    .writeVarLong(fenced.token());
            writeCommand(out, fenced.write());
        } else if (command instanceof Command.Txn txn) {
            out.writeByte(TAG_TXN);
            writeCompares(out, txn.compares());
            writeOps(out, txn.success());
            writeOps(out, txn.failure());
        } else if (command instanceof Command.Prepare p) {
            out.writeByte(p.sharedReads() ? TAG_PREPARE_SHARED : TAG_PREPARE).writeBytes(p.txnId()).writeBytes(p.primaryKey()).writeBoolean(p.lockReads());
            writeCompares(out, p.compares());
            writeOps(out, p.writes());
        } else if (command instanceof Command.Decide d) {
            if (d.primaryKey() == null) {
                out.writeByte(TAG_DECIDE).writeBytes(d.txnId()).writeBoolean(d.commit());
            } else {
                out.writeByte(TAG_DECIDE_HELD).writeBytes(d.txnId()).writeBoolean(d.commit()).writeBytes(d.primaryKey())
                        .writeVarLong(d.intentKeys().size());
                for (Bytes key : d.intentKeys()) {
                    out.writeBytes(key);
                }
            }
        } else if (command instanceof Command.Forget f) {
            out.writeByte(TAG_FORGET).writeBytes(f.txnId());
        } else if (command instanceof Command.SetSystem sys) {
            out.writeByte(TAG_SET_SYSTEM).writeBytes(sys.name()).writeVarLong(sys.expectedVersion()).writeBytes(sys.value());
        } else if (command instanceof Command.Resolve r) {
            out.writeByte(TAG_RESOLVE).writeBytes(r.txnId()).writeBoolean(r.commit()).writeVarLong(r.keys().size());
            for (Bytes key : r.keys()) {
                out.writeBytes(key);
            }
        } else {
            throw new AssertionError("unknown command " + command);
        }
    }

    private static void writeCompares(Encoder out, List<Compare> compares) {
        out.writeVarLong(compares.size());
        for (Compare c : compares) {
            out.writeByte(c.target().code()).writeByte(c.relation().code()).writeBytes(c.key());
            if (c.target() == Compare.Target.VALUE) {
                out.writeBytes(c.value());
            } else {
                out.writeVarLong(c.number());
            }
        }
    }

    private static void writeOps(Encoder out, List<TxnOp> ops) {
        out.writeVarLong(ops.size());
        for (TxnOp op : ops) {
            if (op instanceof TxnOp.Get get) {
                out.writeByte(TAG_TXN_GET).writeBytes(get.key());
            } else {
                writeCommand(out, (Command) op);
            }
        }
    }

    private static List<TxnOp> readOps(Decoder in) {
        int count = in.readVarInt("opCount");
        if (count > Limits.TXN_OPS_MAX) {
            throw in.corrupt(count + " operations in a branch, over " + Limits.TXN_OPS_MAX, in.position());
        }
        List<TxnOp> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int tagOffset = in.position();
            int tag = in.readByte("op tag");
            ops.add(switch (tag) {
                case TAG_PUT -> new Command.Put(in.readBytes("key"), in.readBytes("value"), in.readVarLong("ttlMillis"));
                case TAG_DELETE -> new Command.Delete(in.readBytes("key"));
                case TAG_TXN_GET -> new TxnOp.Get(in.readBytes("key"));
                default -> throw in.corrupt("unknown transaction op tag " + tag, tagOffset);
            });
        }
        return ops;
    }

    private static Command.Txn readTxn(Decoder in) {
        List<Compare> compares = readCompares(in);
        List<TxnOp> success = readOps(in);
        return new Command.Txn(compares, success, readOps(in));
    }

    private static Command.Prepare readPrepare(Decoder in, boolean sharedReads) {
        Bytes txnId = in.readBytes("txnId");
        Bytes primaryKey = in.readBytes("primaryKey");
        boolean lockReads = in.readBoolean("lockReads");
        List<Compare> compares = readCompares(in);
        return new Command.Prepare(txnId, primaryKey, compares, readOps(in), lockReads, sharedReads);
    }

    private static Command.Resolve readResolve(Decoder in) {
        Bytes txnId = in.readBytes("txnId");
        boolean commit = in.readBoolean("commit");
        return new Command.Resolve(txnId, commit, readTxnKeys(in));
    }

    private static Command.Decide readDecide(Decoder in) {
        Bytes txnId = in.readBytes("txnId");
        boolean commit = in.readBoolean("commit");
        Bytes primaryKey = in.readBytes("primaryKey");
        return Command.Decide.of(txnId, commit, primaryKey, readTxnKeys(in));
    }

    /** A count, then that many keys: at most every key a transaction can hold an intent on. */
    private static List<Bytes> readTxnKeys(Decoder in) {
        int count = in.readVarInt("keyCount");
        if (count > 2 * Limits.TXN_OPS_MAX) {
            throw in.corrupt(count + " transaction keys, over " + 2 * Limits.TXN_OPS_MAX, in.position());
        }
        List<Bytes> keys = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            keys.add(in.readBytes("key"));
        }
        return keys;
    }

    private static Command.EndSessions readEndSessions(Decoder in) {
        boolean expired = in.readBoolean("expired");
        int count = in.readVarInt("sessionCount");
        if (count > Command.EndSessions.SESSIONS_MAX) {
            throw in.corrupt(count + " sessions, over " + Command.EndSessions.SESSIONS_MAX, in.position());
        }
        List<Long> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ids.add(in.readLong("sessionId"));
        }
        return new Command.EndSessions(ids, expired);
    }

    private static List<Compare> readCompares(Decoder in) {
        int count = in.readVarInt("compareCount");
        if (count > Limits.TXN_OPS_MAX) {
            throw in.corrupt(count + " comparisons, over " + Limits.TXN_OPS_MAX, in.position());
        }
        List<Compare> compares = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Compare.Target target = Compare.Target.ofCode(in.readByte("compare target"));
            Compare.Relation relation = Compare.Relation.ofCode(in.readByte("compare relation"));
            Bytes key = in.readBytes("compare key");
            compares.add(target == Compare.Target.VALUE
                    ? Compare.value(key, relation, in.readBytes("compare value"))
                    : Compare.of(key, target, relation, in.readVarLong("compare number")));
        }
        return compares;
    }

    static CommandEnvelope decode(Bytes data) {
        Decoder in = new Decoder(data, WHAT);
        in.readVersion(VERSION);
        long clientId = in.readLong("clientId");
        long sequence = in.readVarLong("sequence");
        long timestampMillis = in.readVarLong("leaderTimestampMillis");
        try {
            Command command = readCommand(in, true);
            in.finish();
            return new CommandEnvelope(clientId, sequence, timestampMillis, command);
        } catch (CodecException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // Fields that decode but break a record's rule, e.g. a session with sequence 0.
            throw new CodecException("corrupt " + WHAT + ": " + e.getMessage());
        }
    }

    private static Command readCommand(Decoder in, boolean outer) {
        int tagOffset = in.position();
        int tag = in.readByte("command tag");
        return switch (tag) {
            case TAG_PUT -> new Command.Put(in.readBytes("key"), in.readBytes("value"), in.readVarLong("ttlMillis"));
            case TAG_DELETE -> new Command.Delete(in.readBytes("key"));
            case TAG_COMPARE_AND_SET -> new Command.CompareAndSet(in.readBytes("key"),
                    in.readVarLong("expectedVersion"), in.readBytes("value"), in.readVarLong("ttlMillis"));
            case TAG_EXPIRE -> new Command.Expire(in.readVarLong("nowMillis"));
            case TAG_LOCK -> new Command.Lock(in.readBytes("name"), in.readBytes("owner"), in.readVarLong("ttlMillis"));
            case TAG_UNLOCK -> new Command.Unlock(in.readBytes("name"), in.readVarLong("token"));
            case TAG_SESSION_LOCK -> new Command.Lock(in.readBytes("name"), in.readBytes("owner"),
                    in.readVarLong("ttlMillis"), in.readLong("sessionId"), in.readVarInt("permits"), in.readVarInt("weight"),
                    in.readBoolean("waits"), in.readVarLong("lockDelayMillis"), in.readBytes("value"));
            case TAG_PROCLAIM -> new Command.Proclaim(in.readBytes("name"), in.readLong("sessionId"),
                    in.readBytes("owner"), in.readBytes("value"));
            case TAG_LOCK_RELEASE -> new Command.LockRelease(in.readBytes("name"), in.readLong("sessionId"),
                    in.readBytes("owner"));
            case TAG_END_SESSIONS -> readEndSessions(in);
            case TAG_SET_TTL -> new Command.SetTtl(in.readBytes("key"), in.readVarLong("ttlMillis"));
            case TAG_TXN -> {
                if (!outer) {
                    throw in.corrupt("a transaction inside a fenced write", tagOffset);
                }
                yield readTxn(in);
            }
            case TAG_PREPARE -> readPrepare(in, false);
            case TAG_PREPARE_SHARED -> readPrepare(in, true);
            case TAG_DECIDE -> new Command.Decide(in.readBytes("txnId"), in.readBoolean("commit"), null, List.of());
            case TAG_DECIDE_HELD -> readDecide(in);
            case TAG_RESOLVE -> readResolve(in);
            case TAG_FORGET -> new Command.Forget(in.readBytes("txnId"));
            case TAG_SET_SYSTEM -> new Command.SetSystem(in.readBytes("name"), in.readVarLong("expectedVersion"),
                    in.readBytes("value"));
            case TAG_FENCED, TAG_FENCED_RELEASE -> {
                if (!outer) {
                    throw in.corrupt("a fenced write inside a fenced write", tagOffset);
                }
                Bytes lock = in.readBytes("lock");
                long token = in.readVarLong("token");
                Command write = readCommand(in, false);
                if (tag == TAG_FENCED_RELEASE && !(write instanceof Command.Put || write instanceof Command.Delete)) {
                    throw in.corrupt("a fenced write that releases its lock is a put or a delete", tagOffset);
                }
                yield new Command.Fenced(lock, token, write, tag == TAG_FENCED_RELEASE);
            }
            default -> throw in.corrupt("unknown command tag " + tag, tagOffset);
        };
    }

    private static int payloadBytes(Command command) {
        if (command instanceof Command.Put put) {
            return put.key().size() + put.value().size();
        } else if (command instanceof Command.CompareAndSet cas) {
            return cas.key().size() + cas.value().size();
        } else if (command instanceof Command.Delete delete) {
            return delete.key().size();
        } else if (command instanceof Command.Lock lock) {
            return lock.name().size() + lock.owner().size() + lock.value().size() + 44;
        } else if (command instanceof Command.Proclaim p) {
            return p.name().size() + p.owner().size() + p.value().size() + 16;
        } else if (command instanceof Command.Unlock unlock) {
            return unlock.name().size();
        } else if (command instanceof Command.LockRelease r) {
            return r.name().size() + r.owner().size() + 12;
        } else if (command instanceof Command.EndSessions e) {
            return 8 * e.sessionIds().size() + 8;
        } else if (command instanceof Command.SetTtl setTtl) {
            return setTtl.key().size();
        } else if (command instanceof Command.Fenced fenced) {
            return fenced.lock().size() + 12 + payloadBytes(fenced.write());
        } else if (command instanceof Command.Txn txn) {
            return Limits.txnPayloadBytes(txn);
        } else if (command instanceof Command.Prepare p) {
            return Limits.txnPayloadBytes(new Command.Txn(p.compares(), p.writes(), List.of())) + 64;
        } else if (command instanceof Command.Resolve r) {
            return r.keys().stream().mapToInt(k -> k.size() + 4).sum() + 64;
        } else if (command instanceof Command.SetSystem sys) {
            return sys.name().size() + sys.value().size() + 12;
        }
        return 0;
    }
}
