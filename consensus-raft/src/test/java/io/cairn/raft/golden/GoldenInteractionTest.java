package io.cairn.raft.golden;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every golden script in {@code src/test/resources/golden/} (the source tree, so an edit
 * takes effect without a resource copy) and compares each command's output with the recorded
 * one. Run with {@code -Dgolden.rewrite=true} to record the current outputs instead; review the
 * change with {@code git diff} before keeping it, as a new trace may show a bug rather than a fix.
 */
class GoldenInteractionTest {
    private static final boolean REWRITE = Boolean.getBoolean("golden.rewrite");

    /** Surefire runs in the module directory and sets {@code basedir}; an IDE usually runs there too. */
    private static Path goldenDir() {
        return Path.of(System.getProperty("basedir", "."), "src", "test", "resources", "golden");
    }

    @TestFactory
    Stream<DynamicTest> goldenScripts() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(goldenDir())) {
            files = list.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
        }
        if (files.isEmpty()) {
            fail("no golden scripts in " + goldenDir().toAbsolutePath());
        }
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> runScript(f)));
    }

    private static void runScript(Path file) throws IOException {
        ScriptFile script = ScriptFile.parse(Files.readString(file, StandardCharsets.UTF_8));
        Interaction env = new Interaction();
        List<String> outputs = new ArrayList<>();
        for (ScriptFile.Case c : script.cases()) {
            String actual = runCase(env, file, c);
            if (!REWRITE && !actual.equals(c.expected())) {
                fail(mismatch(file, c, actual));
            }
            outputs.add(actual);
        }
        if (REWRITE) {
            Files.writeString(file, script.withOutputs(outputs), StandardCharsets.UTF_8);
        }
    }

    /** Runs one command; a crash in the engine or harness is reported with the script line. */
    private static String runCase(Interaction env, Path file, ScriptFile.Case c) {
        try {
            return env.run(c.command());
        } catch (RuntimeException | Error e) {
            throw new AssertionError(file.getFileName() + ":" + c.lineNumber() + ": '" + c.command() + "' threw " + e, e);
        }
    }

    /** Only the first mismatch is reported: every later output depends on it. */
    private static String mismatch(Path file, ScriptFile.Case c, String actual) {
        return file.getFileName() + ":" + c.lineNumber() + ": output of '" + c.command() + "' differs\n"
                + "--- expected\n" + c.expected() + "\n--- actual\n" + actual + "\n"
                + "(if the new trace is right, rerun with -Dgolden.rewrite=true and review the diff)";
    }
}
