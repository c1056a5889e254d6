package io.cairn.cli;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import picocli.CommandLine.Option;

/**
 * How the data commands read key and value arguments and print keys and values: UTF-8 text by
 * default, or hex or base64 with {@code --hex} / {@code --base64} (a picocli mixin).
 *
 * <p>A text argument must be valid UTF-8. The JVM decodes argv with the platform charset
 * before main runs, so invalid bytes arrive as U+FFFD: an argument holding U+FFFD is refused
 * (a literal U+FFFD must be given with --hex), else two keys that differ only in invalid bytes
 * would be the same key.
 */
final class ByteFormat {
    private static final HexFormat HEX = HexFormat.of();
    /** Longest piece of a bad argument quoted in an error. */
    private static final int QUOTED_CHARS_MAX = 40;
    /** Neither --hex nor --base64: bytes as they are. */
    static final ByteFormat RAW = new ByteFormat();

    @Option(names = "--hex", description = "Arguments that are keys or values are hex, e.g. 752f63ff, and so are"
            + " printed keys and values.")
    boolean hex;

    @Option(names = "--base64", description = "The same in base64 (RFC 4648: A-Z a-z 0-9 + /, with = padding).")
    boolean base64;

    void validate() {
        if (hex && base64) {
            throw new IllegalArgumentException("use either --hex or --base64, not both");
        }
    }

    /** Whether keys and values print as they are (neither --hex nor --base64). */
    boolean raw() {
        return !hex && !base64;
    }

    /** The bytes an argument stands for; {@code what} names it in errors (KEY, VALUE, --prefix). */
    byte[] decode(String what, String arg, Charset argCharset) {
        if (hex) {
            try {
                return HEX.parseHex(arg);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(what + " is not hex (two digits per byte, e.g. 752f63ff): "
                        + quote(arg));
            }
        }
        if (base64) {
            try {
                return Base64.getDecoder().decode(arg);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(what + " is not base64 (" + e.getMessage() + "): " + quote(arg));
            }
        }
        return text(what, arg, argCharset);
    }

    /** Keys and values as printed: the bytes themselves, or their hex or base64. */
    byte[] encode(byte[] bytes) {
        if (hex) {
            return HEX.formatHex(bytes).getBytes(StandardCharsets.US_ASCII);
        }
        if (base64) {
            return Base64.getEncoder().encode(bytes);
        }
        return bytes;
    }

    /**
     * The bytes of a text argument, which the JVM decoded with {@code argCharset}: encoding it
     * back gives the bytes typed (under a UTF-8 locale, as bin/cairn runs, and under Latin-1
     * alike), which must then be UTF-8. U+FFFD is what an undecodable byte became, so it is refused.
     */
    static byte[] text(String what, String arg, Charset argCharset) {
        if (arg.indexOf('\uFFFD') >= 0) {
            throw notUtf8(what);
        }
        byte[] bytes;
        try {
            ByteBuffer b = argCharset.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(arg));
            bytes = Arrays.copyOf(b.array(), b.limit());
        } catch (CharacterCodingException e) {
            throw notUtf8(what);
        }
        if (!argCharset.equals(StandardCharsets.UTF_8) && !isUtf8(bytes)) {
            throw notUtf8(what);
        }
        return bytes;
    }

    private static IllegalArgumentException notUtf8(String what) {
        return new IllegalArgumentException(what + " is not valid UTF-8 (or holds U+FFFD, which stands for bytes that"
                + " were not): give it with --hex or --base64");
    }

    static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** Bytes for a one-line message: the text when it is printable UTF-8, else {@code hex:...}. */
    static String display(byte[] bytes) {
        if (isUtf8(bytes)) {
            String s = new String(bytes, StandardCharsets.UTF_8);
            if (s.codePoints().noneMatch(c -> Character.isISOControl(c) || c == '\uFFFD')) {
                return s;
            }
        }
        return "hex:" + HEX.formatHex(bytes);
    }

    private static String quote(String arg) {
        String s = arg.length() > QUOTED_CHARS_MAX ? arg.substring(0, QUOTED_CHARS_MAX) + "..." : arg;
        return "'" + CairnCli.oneLine(s) + "'";
    }
}
