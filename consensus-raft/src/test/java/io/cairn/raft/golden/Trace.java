package io.cairn.raft.golden;

/**
 * The output of one command, built line by line with nesting: a Ready's lists, or the state
 * changes a delivered message caused, print indented under what produced them. While muted
 * (the script said {@code trace off}) lines are dropped; errors are not.
 */
final class Trace {
    private final StringBuilder text = new StringBuilder();
    private int depth;
    private boolean muted;

    void line(String s) {
        if (muted) {
            return;
        }
        text.append("  ".repeat(depth)).append(s).append('\n');
    }

    /** A script mistake: printed even while muted, so a broken set-up step cannot pass unseen. */
    void error(String message) {
        text.append("  ".repeat(depth)).append("error: ").append(message).append('\n');
    }

    /** Runs {@code body} with its lines indented one level deeper. */
    void indented(Runnable body) {
        depth++;
        try {
            body.run();
        } finally {
            depth--;
        }
    }

    void setMuted(boolean muted) {
        this.muted = muted;
    }

    /** The command's output and a fresh start for the next one; "ok" when nothing was printed. */
    String take() {
        String out = text.length() == 0 ? "ok" : text.substring(0, text.length() - 1);
        text.setLength(0);
        depth = 0;
        return out;
    }
}
