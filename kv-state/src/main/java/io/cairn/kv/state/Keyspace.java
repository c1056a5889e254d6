package io.cairn.kv.state;

import io.cairn.common.Bytes;
import io.cairn.common.Invariants;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Where the state machine puts things in the engine's single ordered keyspace. The first byte
 * names the family, so each family is one contiguous range and a scan of one never meets
 * another. Numbers inside keys are 8 bytes big-endian; timestamps there are never negative, so
 * byte order is numeric order.
 *
 * <pre>
 * 0x00 "applied"                               applied index, term and clock
 * 0x01 userKey                                 a key's value and metadata ({@link StoredValue})
 * 0x02 expiresAtMillis(8) userKey              TTL index, empty value
 * 0x03 clientId(8)                             a client's session ({@link Session})
 * 0x04 lastActivityMillis(8) clientId(8)       session idle index, empty value
 * 0x05 lockName                                a lock's grant ({@link LockRecord})
 * 0x06 expiresAtMillis(8) lockName             lock expiry index, empty value
 * 0x07 userKey                                 a prepared transaction's intent on the key ({@link Intent})
 * 0x08 txnId                                   a decided transaction's record ({@link TxnRecord})
 * 0x09 name                                    a system record: version(8) value ({@link Command.SetSystem})
 * 0x0A sessionId(8)                            a lock session ({@link LockSession})
 * 0x0B sessionId(8) lockName                   a lock the session has an entry in, empty value
 * 0x0C endedAtMillis(8) sessionId(8)           ended lock sessions by time of end, empty value
 * </pre>
 */
final class Keyspace {
    static final byte META = 0x00;
    static final byte DATA = 0x01;
    static final byte EXPIRY = 0x02;
    static final byte SESSION = 0x03;
    static final byte SESSION_IDLE = 0x04;
    static final byte LOCK = 0x05;
    static final byte LOCK_EXPIRY = 0x06;
    static final byte INTENT = 0x07;
    static final byte TXN = 0x08;
    static final byte SYSTEM = 0x09;
    static final byte LOCK_SESSION = 0x0A;
    static final byte LOCK_SESSION_ENTRY = 0x0B;
    static final byte LOCK_SESSION_ENDED = 0x0C;

    static final byte[] APPLIED_KEY = withFamily(META, "applied".getBytes(StandardCharsets.US_ASCII));
    static final byte[] EMPTY_VALUE = new byte[0];

    private Keyspace() {}

    static byte[] familyStart(byte family) {
        return new byte[] {family};
    }

    /** The first key after every key of the family. */
    static byte[] familyEnd(byte family) {
        return new byte[] {(byte) (family + 1)};
    }

    static byte[] systemKey(Bytes name) {
        return named(SYSTEM, name);
    }

    static byte[] dataKey(Bytes userKey) {
        return named(DATA, userKey);
    }

    static Bytes userKeyOfData(byte[] dataKey) {
        checkFamily(dataKey, DATA, 1);
        return Bytes.copyOf(dataKey, 1, dataKey.length - 1);
    }

    static byte[] expiryKey(long expiresAtMillis, Bytes userKey) {
        return timed(EXPIRY, expiresAtMillis, userKey);
    }

    /** The first TTL index key of an expiry after {@code cutoffMillis}: the end of "due by cutoff". */
    static byte[] expiryEndAfter(long cutoffMillis) {
        return timedEndAfter(EXPIRY, cutoffMillis);
    }

    static long expiryTimeOf(byte[] expiryKey) {
        checkFamily(expiryKey, EXPIRY, 9);
        return getLong(expiryKey, 1);
    }

    static Bytes userKeyOfExpiry(byte[] expiryKey) {
        checkFamily(expiryKey, EXPIRY, 9);
        return Bytes.copyOf(expiryKey, 9, expiryKey.length - 9);
    }

    static byte[] intentKey(Bytes userKey) {
        return named(INTENT, userKey);
    }

    static Bytes userKeyOfIntent(byte[] intentKey) {
        checkFamily(intentKey, INTENT, 1);
        return Bytes.copyOf(intentKey, 1, intentKey.length - 1);
    }

    static byte[] txnKey(Bytes txnId) {
        return named(TXN, txnId);
    }

    static byte[] lockKey(Bytes name) {
        return named(LOCK, name);
    }

    static Bytes lockNameOf(byte[] lockKey) {
        checkFamily(lockKey, LOCK, 1);
        return Bytes.copyOf(lockKey, 1, lockKey.length - 1);
    }

    static byte[] lockExpiryKey(long expiresAtMillis, Bytes name) {
        return timed(LOCK_EXPIRY, expiresAtMillis, name);
    }

    /** The first lock expiry index key after {@code cutoffMillis}: the end of "expired by cutoff". */
    static byte[] lockExpiryEndAfter(long cutoffMillis) {
        return timedEndAfter(LOCK_EXPIRY, cutoffMillis);
    }

    static long lockExpiryTimeOf(byte[] lockExpiryKey) {
        checkFamily(lockExpiryKey, LOCK_EXPIRY, 9);
        return getLong(lockExpiryKey, 1);
    }

    static Bytes lockNameOfExpiry(byte[] lockExpiryKey) {
        checkFamily(lockExpiryKey, LOCK_EXPIRY, 9);
        return Bytes.copyOf(lockExpiryKey, 9, lockExpiryKey.length - 9);
    }

    static byte[] lockSessionKey(long sessionId) {
        byte[] k = new byte[9];
        k[0] = LOCK_SESSION;
        putLong(k, 1, sessionId);
        return k;
    }

    static long sessionIdOfLockSession(byte[] key) {
        checkFamily(key, LOCK_SESSION, 9);
        return getLong(key, 1);
    }

    static byte[] sessionEntryKey(long sessionId, Bytes lockName) {
        byte[] k = new byte[9 + lockName.size()];
        k[0] = LOCK_SESSION_ENTRY;
        putLong(k, 1, sessionId);
        lockName.copyTo(k, 9);
        return k;
    }

    static byte[] sessionEntriesStart(long sessionId) {
        byte[] k = new byte[9];
        k[0] = LOCK_SESSION_ENTRY;
        putLong(k, 1, sessionId);
        return k;
    }

    /** The first key after every entry key of the session. */
    static byte[] sessionEntriesEnd(long sessionId) {
        if (sessionId == -1L) {
            return familyEnd(LOCK_SESSION_ENTRY);
        }
        return sessionEntriesStart(sessionId + 1);
    }

    static long sessionIdOfEntry(byte[] entryKey) {
        checkFamily(entryKey, LOCK_SESSION_ENTRY, 9);
        return getLong(entryKey, 1);
    }

    static Bytes lockNameOfSessionEntry(byte[] entryKey) {
        checkFamily(entryKey, LOCK_SESSION_ENTRY, 9);
        return Bytes.copyOf(entryKey, 9, entryKey.length - 9);
    }

    static byte[] endedSessionKey(long endedAtMillis, long sessionId) {
        byte[] k = new byte[17];
        k[0] = LOCK_SESSION_ENDED;
        putLong(k, 1, endedAtMillis);
        putLong(k, 9, sessionId);
        return k;
    }

    /** The end of "ended at or before {@code cutoffMillis}" in the ended-session index. */
    static byte[] endedSessionEndAfter(long cutoffMillis) {
        return timedEndAfter(LOCK_SESSION_ENDED, Math.max(-1, cutoffMillis));
    }

    static long endedTimeOf(byte[] endedKey) {
        checkFamily(endedKey, LOCK_SESSION_ENDED, 17);
        return getLong(endedKey, 1);
    }

    static long sessionIdOfEnded(byte[] endedKey) {
        checkFamily(endedKey, LOCK_SESSION_ENDED, 17);
        return getLong(endedKey, 9);
    }

    /** family + name: data keys and locks. */
    private static byte[] named(byte family, Bytes name) {
        byte[] k = new byte[1 + name.size()];
        k[0] = family;
        name.copyTo(k, 1);
        return k;
    }

    /** family + 8-byte time + name: the expiry indexes of keys and locks. */
    private static byte[] timed(byte family, long millis, Bytes name) {
        byte[] k = new byte[9 + name.size()];
        k[0] = family;
        putLong(k, 1, millis);
        name.copyTo(k, 9);
        return k;
    }

    private static byte[] timedEndAfter(byte family, long cutoffMillis) {
        if (cutoffMillis == Long.MAX_VALUE) {
            return familyEnd(family);
        }
        byte[] k = new byte[9];
        k[0] = family;
        putLong(k, 1, cutoffMillis + 1);
        return k;
    }

    static byte[] sessionKey(long clientId) {
        byte[] k = new byte[9];
        k[0] = SESSION;
        putLong(k, 1, clientId);
        return k;
    }

    static boolean isIntentKey(byte[] key) {
        return key.length >= 1 && key[0] == INTENT;
    }

    static boolean isSessionKey(byte[] key) {
        return key.length == 9 && key[0] == SESSION;
    }

    static long clientIdOfSession(byte[] sessionKey) {
        checkFamily(sessionKey, SESSION, 9);
        return getLong(sessionKey, 1);
    }

    static byte[] idleKey(long lastActivityMillis, long clientId) {
        byte[] k = new byte[17];
        k[0] = SESSION_IDLE;
        putLong(k, 1, lastActivityMillis);
        putLong(k, 9, clientId);
        return k;
    }

    /** The first idle index key with activity at or after {@code millis}. */
    static byte[] idleKeyStart(long millis) {
        byte[] k = new byte[9];
        k[0] = SESSION_IDLE;
        putLong(k, 1, millis);
        return k;
    }

    static long lastActivityOfIdle(byte[] idleKey) {
        checkFamily(idleKey, SESSION_IDLE, 17);
        return getLong(idleKey, 1);
    }

    static long clientIdOfIdle(byte[] idleKey) {
        checkFamily(idleKey, SESSION_IDLE, 17);
        return getLong(idleKey, 9);
    }

    /** The smallest key greater than {@code key}: key followed by a zero byte. */
    static byte[] successor(byte[] key) {
        return Arrays.copyOf(key, key.length + 1);
    }

    static byte[] withFamily(byte family, byte[] rest) {
        byte[] k = new byte[1 + rest.length];
        k[0] = family;
        System.arraycopy(rest, 0, k, 1, rest.length);
        return k;
    }

    private static void checkFamily(byte[] key, byte family, int lengthMin) {
        Invariants.check(key.length >= lengthMin && key[0] == family,
                "engine key 0x%s is not of family %s", Bytes.copyOf(key).toHex(), family);
    }

    private static void putLong(byte[] target, int offset, long v) {
        for (int i = 0; i < 8; i++) {
            target[offset + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    private static long getLong(byte[] source, int offset) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (source[offset + i] & 0xFF);
        }
        return v;
    }
}
