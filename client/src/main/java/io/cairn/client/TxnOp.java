package io.cairn.client;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** One operation of a {@link Txn} branch. Every write of a transaction takes its revision. */
public sealed interface TxnOp permits TxnOp.Put, TxnOp.Delete, TxnOp.Get {
    byte[] key();

    /** Sets the key; a zero {@code ttl} means it never expires. */
    record Put(byte[] key, byte[] value, Duration ttl) implements TxnOp {
        public Put {
            if (key == null || value == null || ttl == null || ttl.isNegative()) {
                throw new IllegalArgumentException("a put needs a key, a value and a TTL >= 0");
            }
        }
    }

    record Delete(byte[] key) implements TxnOp {
        public Delete {
            if (key == null) {
                throw new IllegalArgumentException("a delete needs a key");
            }
        }
    }

    /** Reads the key as the operations before it in the branch left it. */
    record Get(byte[] key) implements TxnOp {
        public Get {
            if (key == null) {
                throw new IllegalArgumentException("a get needs a key");
            }
        }
    }

    static TxnOp put(byte[] key, byte[] value) {
        return new Put(key, value, Duration.ZERO);
    }

    static TxnOp put(String key, String value) {
        return put(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    static TxnOp put(String key, String value, Duration ttl) {
        return new Put(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8), ttl);
    }

    static TxnOp delete(byte[] key) {
        return new Delete(key);
    }

    static TxnOp delete(String key) {
        return delete(key.getBytes(StandardCharsets.UTF_8));
    }

    static TxnOp get(byte[] key) {
        return new Get(key);
    }

    static TxnOp get(String key) {
        return get(key.getBytes(StandardCharsets.UTF_8));
    }
}
