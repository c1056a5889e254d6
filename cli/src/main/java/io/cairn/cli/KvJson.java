package io.cairn.cli;

import io.cairn.client.KeyValue;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The {@code --json} form of a key-value, one object per line:
 * {@code {"key":"a","value":"b","version":1,"create_revision":5,"mod_revision":7}}, and for a get
 * who served it and how fresh: {@code "served_by":"n2","read_level":"bounded","staleness_ms_max":40}
 * (-1: unknown, an EVENTUAL read). A key or
 * value that is not valid UTF-8 is given in base64 under {@code key_base64} / {@code value_base64}
 * instead, so JSON (which is text) carries any bytes exactly.
 */
final class KvJson {
    private KvJson() {}

    /** {@code s} as a JSON string, quotes included. */
    static String quote(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        string(out, s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The object for {@code kv} and a newline; without the value when {@code withValue} is false. */
    static byte[] line(KeyValue kv, boolean withValue) {
        return line(kv, withValue, false);
    }

    /** {@link #line(KeyValue, boolean)}, with who served it and how fresh when {@code withFreshness}. */
    static byte[] line(KeyValue kv, boolean withValue, boolean withFreshness) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + kv.key().length + (withValue ? kv.value().length : 0));
        out.write('{');
        field(out, "key", kv.key());
        if (withValue) {
            out.write(',');
            field(out, "value", kv.value());
        }
        ascii(out, ",\"version\":" + kv.version() + ",\"create_revision\":" + kv.createRevision()
                + ",\"mod_revision\":" + kv.modRevision());
        if (withFreshness && kv.servedAt() != null) {
            // How fresh the answer is, for scripts that read at BOUNDED or EVENTUAL.
            ascii(out, ",\"served_by\":\"n" + kv.servedBy() + "\",\"read_level\":\""
                    + kv.servedAt().name().toLowerCase(java.util.Locale.ROOT) + "\",\"staleness_ms_max\":"
                    + kv.stalenessMillisMax());
        }
        ascii(out, "}\n");
        return out.toByteArray();
    }

    /**
     * A watch event: {@code {"type":"put","shard":2,"revision":17,"key":"a","value":"b","version":3}};
     * DELETE and EXPIRE without value and version.
     */
    static byte[] watchLine(String type, int shard, long revision, byte[] key, byte[] value, long version) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(96 + key.length + (value == null ? 0 : value.length));
        ascii(out, "{\"type\":\"" + type + "\",\"shard\":" + shard + ",\"revision\":" + revision + ",");
        field(out, "key", key);
        if (value != null) {
            out.write(',');
            field(out, "value", value);
            ascii(out, ",\"version\":" + version);
        }
        ascii(out, "}\n");
        return out.toByteArray();
    }

    /** {@code "name":"text"} for valid UTF-8, else {@code "name_base64":"..."}. */
    private static void field(ByteArrayOutputStream out, String name, byte[] bytes) {
        if (ByteFormat.isUtf8(bytes)) {
            ascii(out, "\"" + name + "\":");
            string(out, bytes);
        } else {
            ascii(out, "\"" + name + "_base64\":\"");
            out.writeBytes(Base64.getEncoder().encode(bytes));
            out.write('"');
        }
    }

    /**
     * A JSON string of valid UTF-8 bytes, escaped byte by byte: only quote, backslash and controls
     * below 0x20 need it, and every byte of a multi-byte character is 0x80 or above, so the
     * rest is copied as it is.
     */
    static void string(ByteArrayOutputStream out, byte[] utf8) {
        out.write('"');
        for (byte b : utf8) {
            switch (b) {
                case '"' -> ascii(out, "\\\"");
                case '\\' -> ascii(out, "\\\\");
                case '\n' -> ascii(out, "\\n");
                case '\r' -> ascii(out, "\\r");
                case '\t' -> ascii(out, "\\t");
                default -> {
                    if (b >= 0 && b < 0x20) {
                        ascii(out, String.format("\\u%04x", b));
                    } else {
                        out.write(b);
                    }
                }
            }
        }
        out.write('"');
    }

    private static void ascii(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }
}
