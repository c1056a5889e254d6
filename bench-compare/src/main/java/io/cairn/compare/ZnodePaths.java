package io.cairn.compare;

import java.io.ByteArrayOutputStream;

/**
 * Where a key lives in ZooKeeper: the znode {@code /cairn-bench/<escaped key>}, one flat level
 * under {@link #ROOT}. ZooKeeper names nodes with a path, so a key's {@code /} would make
 * children of children: every byte but {@code A-Z a-z 0-9 - _ .} becomes {@code %XX} (two
 * upper-case hex digits), so {@code bench/0000000042} is {@code bench%2F0000000042}. The names
 * {@code .} and {@code ..}, which ZooKeeper refuses, have their dots escaped too. The mapping is
 * one-to-one: {@link #key} undoes it.
 *
 * <p>The lock workload's locks live apart, under {@link #LOCK_ROOT}, named the same way: the lock
 * {@code bench/{0000000042}l} is {@code /cairn-bench-locks/bench%2F%7B0000000042%7Dl}, the parent
 * of the lock recipe's own sequential nodes (so they never mix with the keys' znodes).
 */
final class ZnodePaths {
    /** The parent of every bench znode. */
    static final String ROOT = "/cairn-bench";
    /** The parent of every lock's znode. */
    static final String LOCK_ROOT = "/cairn-bench-locks";
    private static final String HEX = "0123456789ABCDEF";

    private ZnodePaths() {}

    /** The znode of {@code key}, which must not be empty. */
    static String path(byte[] key) {
        return under(ROOT, key);
    }

    /** The znode of the lock {@code name}, which must not be empty: the parent of its waiters' nodes. */
    static String lockPath(byte[] name) {
        return under(LOCK_ROOT, name);
    }

    private static String under(String root, byte[] key) {
        if (key.length == 0) {
            throw new IllegalArgumentException("an empty key has no znode");
        }
        boolean onlyDots = isOnlyDots(key) && key.length <= 2;
        StringBuilder sb = new StringBuilder(root.length() + 1 + key.length * 3).append(root).append('/');
        for (byte b : key) {
            int c = b & 0xFF;
            if (isPlain(c) && !onlyDots) {
                sb.append((char) c);
            } else {
                sb.append('%').append(HEX.charAt(c >>> 4)).append(HEX.charAt(c & 0xF));
            }
        }
        return sb.toString();
    }

    /** The key whose znode is {@code path}; the inverse of {@link #path}. */
    static byte[] key(String path) {
        String prefix = ROOT + "/";
        if (!path.startsWith(prefix) || path.length() == prefix.length()) {
            throw new IllegalArgumentException("not a bench znode: " + path);
        }
        String name = path.substring(prefix.length());
        ByteArrayOutputStream key = new ByteArrayOutputStream(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%') {
                if (i + 2 >= name.length()) {
                    throw new IllegalArgumentException("a cut escape in " + path);
                }
                key.write(hexDigit(name.charAt(i + 1), path) << 4 | hexDigit(name.charAt(i + 2), path));
                i += 2;
            } else if (isPlain(c)) {
                key.write(c);
            } else {
                throw new IllegalArgumentException("'" + c + "' is never left unescaped: " + path);
            }
        }
        return key.toByteArray();
    }

    private static boolean isPlain(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '_' || c == '.';
    }

    private static int hexDigit(char c, String path) {
        int digit = HEX.indexOf(c);
        if (digit < 0) {
            throw new IllegalArgumentException("'" + c + "' is not an upper-case hex digit: " + path);
        }
        return digit;
    }

    private static boolean isOnlyDots(byte[] key) {
        for (byte b : key) {
            if (b != '.') {
                return false;
            }
        }
        return true;
    }
}
