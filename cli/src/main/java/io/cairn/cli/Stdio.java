package io.cairn.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.Charset;

/**
 * The byte-level standard streams of the data commands. Keys and values are bytes, and picocli's
 * {@code getOut()} is a PrintWriter that would re-encode them; tests substitute their own.
 *
 * @param out stdout, written as bytes; flushed when a command ends
 * @param in stdin: a value given as {@code -}, the answer to del --prefix's question
 * @param terminal whether a person is at a terminal ({@code System.console() != null}: stdin and
 *     stdout are both terminals): get then ends a raw value with a newline, del --prefix may ask
 * @param argCharset the charset the JVM decoded argv with ({@code sun.jnu.encoding}), to turn an
 *     argument back into the bytes that were typed
 */
record Stdio(OutputStream out, InputStream in, boolean terminal, Charset argCharset) {
    static Stdio system() {
        return new Stdio(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), System.in,
                System.console() != null, argvCharset());
    }

    /** The charset of argv: the launcher decodes it with sun.jnu.encoding, which -D cannot change. */
    static Charset argvCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding"));
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }
}
