package io.cairn.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * One run of the CLI in this JVM with captured stdout and stderr; by default on the command line
 * main builds, with only the subcommand that the arguments name (LazyCommandsTest checks that it
 * runs them as the full command line does).
 */
record CliRun(int exitCode, String out, String err) {
    static CliRun of(String... args) {
        return of(CairnCli.commandLine(args), args);
    }

    /** One run on {@code cli}, which must be fresh. */
    static CliRun of(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new CliRun(exit, out.toString(), err.toString());
    }

    /** stderr as lines, for "exactly one line" checks. */
    String[] errLines() {
        return err.isEmpty() ? new String[0] : err.split("\\R");
    }
}
