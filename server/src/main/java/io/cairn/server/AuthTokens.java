package io.cairn.server;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Tokens a login hands out: {@code v1.USER.GENERATION.EXPIRES_MS.MAC}, the user base64url, the MAC
 * an HMAC-SHA256 of the rest under the cluster's token key (kept in the replicated users
 * record, so every node checks every node's tokens). Nothing is stored per token: a token dies
 * at its expiry, or earlier when its user's generation moves on (password change, role
 * revocation, deletion).
 */
final class AuthTokens {
    private static final String VERSION = "v1";

    /** A token that checked out: its user and the generation it was minted at. */
    record Claims(String user, long generation, long expiresAtMillis) {}

    private AuthTokens() {}

    static String mint(byte[] key, String user, long generation, long expiresAtMillis) {
        String body = VERSION + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(user.getBytes(StandardCharsets.UTF_8))
                + "." + generation + "." + expiresAtMillis;
        return body + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac(key, body));
    }

    /**
     * The claims of {@code token} if its MAC is right and it has not expired at {@code nowMillis};
     * else an {@link IllegalArgumentException} saying which (never echoing the token).
     */
    static Claims verify(byte[] key, String token, long nowMillis) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 5 || !parts[0].equals(VERSION)) {
            throw new IllegalArgumentException("malformed token");
        }
        String body = token.substring(0, token.lastIndexOf('.'));
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(parts[4]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed token");
        }
        if (!MessageDigest.isEqual(given, mac(key, body))) {
            throw new IllegalArgumentException("token not issued by this cluster");
        }
        long generation;
        long expires;
        String user;
        try {
            user = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
            generation = Long.parseLong(parts[2]);
            expires = Long.parseLong(parts[3]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed token");
        }
        if (nowMillis >= expires) {
            throw new IllegalArgumentException("token expired " + (nowMillis - expires) / 1000 + " s ago; log in again");
        }
        return new Claims(user, generation, expires);
    }

    private static byte[] mac(byte[] key, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(body.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no HmacSHA256", e);
        }
    }
}
