package io.cairn.raft.golden;

import java.util.ArrayList;
import java.util.List;

/**
 * A golden script in the datadriven format of etcd-io/raft's {@code testdata/*.txt}:
 *
 * <pre>
 * # comments and blank lines between cases are kept as they are
 * command arg key=value
 * ----
 * expected output, never containing a blank line
 * (a blank line or the end of the file ends the output)
 * </pre>
 *
 * The file is kept as lines so that a rewrite replaces only the output blocks and leaves
 * comments, spacing and commands untouched.
 */
final class ScriptFile {
    static final String SEPARATOR = "----";

    /**
     * One command and its expected output; outputs occupy lines
     * [outputFromLine, outputToLineExclusive) of the file (0-based).
     */
    record Case(int commandLine, String command, int outputFromLine, int outputToLineExclusive,
                String expected) {
        /** 1-based, for messages that point into the file. */
        int lineNumber() {
            return commandLine + 1;
        }
    }

    private final List<String> lines;
    private final List<Case> cases;

    private ScriptFile(List<String> lines, List<Case> cases) {
        this.lines = lines;
        this.cases = cases;
    }

    static ScriptFile parse(String text) {
        List<String> lines = List.of(text.split("\n", -1));
        List<Case> cases = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#")) {
                i++;
                continue;
            }
            // A command: the separator must follow directly, so a forgotten one is an error
            // rather than a command silently swallowed as output.
            if (i + 1 >= lines.size() || !lines.get(i + 1).equals(SEPARATOR)) {
                throw new IllegalArgumentException("line " + (i + 1) + ": expected '" + SEPARATOR
                        + "' after command '" + line + "'");
            }
            int from = i + 2;
            int to = from;
            while (to < lines.size() && !lines.get(to).isEmpty()) {
                to++;
            }
            cases.add(new Case(i, line.strip(), from, to, String.join("\n", lines.subList(from, to))));
            i = to;
        }
        return new ScriptFile(lines, cases);
    }

    List<Case> cases() {
        return cases;
    }

    /** The file text with each case's output replaced by {@code outputs} (same order as cases). */
    String withOutputs(List<String> outputs) {
        if (outputs.size() != cases.size()) {
            throw new IllegalArgumentException(outputs.size() + " outputs for " + cases.size() + " cases");
        }
        StringBuilder sb = new StringBuilder();
        int next = 0;
        for (int c = 0; c < cases.size(); c++) {
            Case kase = cases.get(c);
            appendLines(sb, lines.subList(next, kase.outputFromLine()));
            appendLines(sb, List.of(outputs.get(c).split("\n", -1)));
            next = kase.outputToLineExclusive();
        }
        appendLines(sb, lines.subList(next, lines.size()));
        // appendLines ends every line with '\n'; the original's last line had none.
        return sb.substring(0, sb.length() - 1);
    }

    private static void appendLines(StringBuilder sb, List<String> block) {
        for (String l : block) {
            sb.append(l).append('\n');
        }
    }
}
