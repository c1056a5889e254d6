package io.cairn.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * One run of the CLI in this JVM with captured stdout and stderr; by default on the command line
 * main builds, with only the subcommand that the arguments name (LazyCommandsTest checks that it
 * runs them as the full command line does). stdout is captured as bytes (what the data commands
 * write through {@link Stdio} and what picocli prints, in UTF-8); {@link #out} is their UTF-8
 * reading. Arguments are taken as a UTF-8 launcher would have decoded them.
 */
record CliRun(int exitCode, String out, String err, byte[] outBytes) {
    static CliRun of(String... args) {
        return of(CairnCli.commandLine(args), args);
    }

    /** One run on {@code cli}, which must be fresh. */
    static CliRun of(CommandLine cli, String... args) {
        return run(cli, new byte[0], false, args);
    }

    /** A run with {@code stdin} as its standard input, not on a terminal. */
    static CliRun withStdin(byte[] stdin, String... args) {
        return run(CairnCli.commandLine(args), stdin, false, args);
    }

    /** A run as if at a terminal (System.console() present), typing {@code stdin}. */
    static CliRun onTerminal(byte[] stdin, String... args) {
        return run(CairnCli.commandLine(args), stdin, true, args);
    }

    private static CliRun run(CommandLine cli, byte[] stdin, boolean terminal, String... args) {
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        PrintWriter out = new PrintWriter(new OutputStreamWriter(outBytes, StandardCharsets.UTF_8), true);
        cli.setOut(out);
        cli.setErr(new PrintWriter(err, true));
        if (cli.getCommand() instanceof CairnCli root) {
            root.stdio = new Stdio(outBytes, new ByteArrayInputStream(stdin), terminal, StandardCharsets.UTF_8);
        }
        int exit = cli.execute(args);
        out.flush();
        byte[] bytes = outBytes.toByteArray();
        return new CliRun(exit, new String(bytes, StandardCharsets.UTF_8), err.toString(), bytes);
    }

    // Records compare arrays by identity: these compare the bytes.
    @Override
    public boolean equals(Object o) {
        return o instanceof CliRun other && exitCode == other.exitCode && out.equals(other.out)
                && err.equals(other.err) && java.util.Arrays.equals(outBytes, other.outBytes);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(exitCode, out, err);
    }

    @Override
    public String toString() {
        return "CliRun[exitCode=" + exitCode + ", out=" + out + ", err=" + err + "]";
    }

    /** stderr as lines, for "exactly one line" checks. */
    String[] errLines() {
        return err.isEmpty() ? new String[0] : err.split("\\R");
    }
}
