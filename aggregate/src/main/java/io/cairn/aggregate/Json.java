package io.cairn.aggregate;

import java.nio.charset.StandardCharsets;

/** JSON text for results: strings escaped, bytes that are not UTF-8 replaced. */
final class Json {
    private Json() {}

    static String string(byte[] utf8) {
        return string(new String(utf8, StandardCharsets.UTF_8));
    }

    static String string(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    static String number(Number n) {
        return n instanceof Long l ? Long.toString(l) : Numbers.json(n.doubleValue());
    }
}
