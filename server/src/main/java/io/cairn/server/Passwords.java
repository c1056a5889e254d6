package io.cairn.server;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Password hashes: PBKDF2-HMAC-SHA256 with a 16-byte random salt per user and
 * {@link #ITERATIONS_DEFAULT} iterations (OWASP's 2023 figure for this function), giving a
 * 32-byte hash. The iteration count is stored with each hash, so raising it later leaves
 * existing passwords working until they are changed. One check costs about 150 ms of one core
 * (docs/security.md), which is why failed logins also back off.
 */
final class Passwords {
    static final int ITERATIONS_DEFAULT = 600_000;
    static final int SALT_BYTES = 16;
    static final int HASH_BYTES = 32;
    static final int PASSWORD_CHARS_MAX = 1024;

    private static final SecureRandom RANDOM = new SecureRandom();

    record Hashed(byte[] salt, byte[] hash, int iterations) {}

    private Passwords() {}

    static Hashed hash(String password, int iterations) {
        check(password);
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        return new Hashed(salt, derive(password, salt, iterations), iterations);
    }

    /** Whether {@code password} matches; compares in constant time. */
    static boolean matches(String password, byte[] salt, byte[] hash, int iterations) {
        if (password == null || password.isEmpty() || password.length() > PASSWORD_CHARS_MAX || hash.length == 0
                || iterations < 1) {
            return false;
        }
        return MessageDigest.isEqual(derive(password, salt, iterations), hash);
    }

    static void check(String password) {
        if (password == null || password.length() < 8) {
            throw new IllegalArgumentException("a password needs at least 8 characters");
        }
        if (password.length() > PASSWORD_CHARS_MAX) {
            throw new IllegalArgumentException("a password has at most " + PASSWORD_CHARS_MAX + " characters");
        }
    }

    /** A password of 24 characters from a 64-symbol alphabet: 144 random bits. */
    static String generate() {
        String alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_+=.!@%";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            b.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    private static byte[] derive(String password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, HASH_BYTES * 8);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no PBKDF2WithHmacSHA256", e);
        } finally {
            spec.clearPassword();
        }
    }
}
