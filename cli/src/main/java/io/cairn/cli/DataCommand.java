package io.cairn.cli;

import io.cairn.client.CairnClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

/**
 * A command on keys and values (put, get, del, cas, scan): its arguments are decoded to bytes
 * by {@link ByteFormat} before anything is sent, and it writes stdout as bytes through
 * {@link Stdio}, never through picocli's PrintWriter.
 */
abstract class DataCommand extends ClientCommand {
    @Mixin
    ByteFormat format;

    @Override
    final void validate() {
        format.validate();
        parse();
    }

    /** Decodes and checks the arguments (IllegalArgumentException: bad input, nothing is sent). */
    abstract void parse();

    @Override
    final int run(CairnClient client, PrintWriter out, PrintWriter err) throws Exception {
        return run(client, err);
    }

    /** Runs the command; output goes through {@link #write}. */
    abstract int run(CairnClient client, PrintWriter err) throws Exception;

    Stdio io() {
        return CairnCli.root(spec).stdio();
    }

    void write(byte[] bytes) {
        try {
            io().out().write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to stdout: " + e.getMessage(), e);
        }
    }

    void writeLine(String ascii) {
        write((ascii + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** A key argument as bytes: not empty, within the server's limit. */
    byte[] key(String what, String arg) {
        byte[] key = format.decode(what, arg, io().argCharset());
        if (key.length == 0) {
            throw new IllegalArgumentException("key must not be empty");
        }
        if (key.length > CairnClient.KEY_BYTES_MAX_DEFAULT) {
            throw new IllegalArgumentException("key is " + key.length + " bytes, over the limit "
                    + CairnClient.KEY_BYTES_MAX_DEFAULT);
        }
        return key;
    }

    /** A prefix or range bound as bytes; may be empty. */
    byte[] bound(String what, String arg) {
        return arg == null ? new byte[0] : format.decode(what, arg, io().argCharset());
    }

    /**
     * The value of put or cas: the VALUE argument, or stdin when it is {@code -}, or the file of
     * {@code --file} (both raw bytes, may be empty). An empty argument is refused: it is more
     * often an unset shell variable than meant.
     */
    byte[] value(String arg, Path file) {
        if (file != null && arg != null) {
            throw usage("give VALUE or --file, not both");
        }
        if (file != null) {
            return fromFile(file);
        }
        if (arg == null) {
            throw usage("Missing required parameter: 'VALUE' (or - to read it from stdin, or --file F)");
        }
        if (arg.equals("-")) {
            try {
                return upToLimit(io().in(), "on stdin");
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the value from stdin: " + e.getMessage());
            }
        }
        byte[] value = format.decode("VALUE", arg, io().argCharset());
        if (value.length == 0) {
            throw new IllegalArgumentException("value must not be empty (an empty value can come from --file or"
                    + " stdin)");
        }
        if (value.length > CairnClient.VALUE_BYTES_MAX_DEFAULT) {
            throw new IllegalArgumentException("value is " + value.length + " bytes, over the limit "
                    + CairnClient.VALUE_BYTES_MAX_DEFAULT);
        }
        return value;
    }

    /** A usage error: reported as picocli's own are (no stack trace even with --verbose). */
    CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private static byte[] fromFile(Path file) {
        try {
            if (Files.isRegularFile(file) && Files.size(file) > CairnClient.VALUE_BYTES_MAX_DEFAULT) {
                throw new IllegalArgumentException("value in --file " + file + " is " + Files.size(file)
                        + " bytes, over the limit " + CairnClient.VALUE_BYTES_MAX_DEFAULT);
            }
            try (InputStream in = Files.newInputStream(file)) {
                return upToLimit(in, "in --file " + file);
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("--file " + file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --file " + file + ": " + e.getMessage());
        }
    }

    /** All of {@code in} if it fits the value limit; reads one byte past it at most. */
    private static byte[] upToLimit(InputStream in, String where) throws IOException {
        byte[] value = in.readNBytes(CairnClient.VALUE_BYTES_MAX_DEFAULT + 1);
        if (value.length > CairnClient.VALUE_BYTES_MAX_DEFAULT) {
            throw new IllegalArgumentException("value " + where + " is over the limit "
                    + CairnClient.VALUE_BYTES_MAX_DEFAULT + " bytes");
        }
        return value;
    }
}
