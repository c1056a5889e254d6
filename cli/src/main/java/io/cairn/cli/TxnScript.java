package io.cairn.cli;

import io.cairn.client.Compare;
import io.cairn.client.TxnOp;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The script {@code cairn txn} reads, in three parts separated by a blank line, as etcdctl's
 * interactive txn: the comparisons, the operations if all hold, the operations otherwise.
 *
 * <pre>
 * version("{o}stock") = 0        comparisons: version, create, mod, value or lock, then
 * mod({o}log) &lt; 120              = != &lt; &gt;, then a number (a quoted text for value)
 * value({o}state) = "open"
 * lock({o}lock) = 42             the lock's current fencing token (0: free)
 *
 * put {o}stock 5                 put KEY VALUE, del KEY, get KEY
 * put "{o}log" "created by me"
 *
 * get {o}stock
 * </pre>
 * A token with spaces, quotes or a backslash is written in double quotes, with \" \\ \n \t
 * escapes. A line starting with # is a comment. Keys and values are then decoded as the
 * command's --hex / --base64 say (UTF-8 text by default).
 */
final class TxnScript {
    final List<Compare> compares = new ArrayList<>();
    final List<TxnOp> success = new ArrayList<>();
    final List<TxnOp> failure = new ArrayList<>();

    /** Decodes a key or value token; the first argument names it for errors. */
    private final BiFunction<String, String, byte[]> decode;

    private TxnScript(BiFunction<String, String, byte[]> decode) {
        this.decode = decode;
    }

    /** Throws IllegalArgumentException naming the line of the first mistake. */
    static TxnScript parse(String text, BiFunction<String, String, byte[]> decode) {
        TxnScript script = new TxnScript(decode);
        int part = 0;
        boolean previousBlank = false;
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.startsWith("#")) {
                continue;
            }
            if (line.isEmpty()) {
                // A blank line ends a part, a first one the (empty) compares; doubled, it counts once.
                if (!previousBlank) {
                    part++;
                }
                previousBlank = true;
                continue;
            }
            previousBlank = false;
            if (part > 2) {
                throw new IllegalArgumentException("line " + (i + 1) + ": a txn script has three parts (compares,"
                        + " then, else), separated by blank lines; this is a fourth");
            }
            try {
                if (part == 0) {
                    script.compares.add(script.compare(line));
                } else {
                    (part == 1 ? script.success : script.failure).add(script.op(line));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (script.compares.isEmpty() && script.success.isEmpty() && script.failure.isEmpty()) {
            throw new IllegalArgumentException("the txn script is empty; see cairn txn --help");
        }
        return script;
    }

    private Compare compare(String line) {
        int open = line.indexOf('(');
        if (open < 0) {
            throw new IllegalArgumentException("expected a compare such as version(KEY) = 0, not: " + line
                    + " (a script without compares starts with a blank line)");
        }
        String target = line.substring(0, open).strip();
        Tokens t = new Tokens(line, open + 1);
        String key = t.next("KEY");
        t.expect(')');
        String relationText = t.next("= != < >");
        Compare.Relation relation = switch (relationText) {
            case "=", "==" -> Compare.Relation.EQUAL;
            case "!=" -> Compare.Relation.NOT_EQUAL;
            case "<" -> Compare.Relation.LESS;
            case ">" -> Compare.Relation.GREATER;
            default -> throw new IllegalArgumentException("unknown relation " + relationText + " (use = != < >)");
        };
        String side = t.next("the right side");
        t.end();
        byte[] k = decode.apply("KEY", key);
        if (target.equals("value")) {
            return Compare.value(k, relation, decode.apply("VALUE", side));
        }
        long number;
        try {
            number = Long.parseLong(side);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(target + " compares with a number, not " + side);
        }
        if (number < 0) {
            throw new IllegalArgumentException(target + " compares with a number >= 0, not " + side);
        }
        Compare.Target kind = switch (target) {
            case "version" -> Compare.Target.VERSION;
            case "create" -> Compare.Target.CREATE_REVISION;
            case "mod" -> Compare.Target.MOD_REVISION;
            case "lock" -> Compare.Target.LOCK_TOKEN;
            default -> throw new IllegalArgumentException("unknown compare " + target
                    + " (use version, create, mod, value or lock)");
        };
        return new Compare(k, kind, relation, number, null);
    }

    private TxnOp op(String line) {
        Tokens t = new Tokens(line, 0);
        String verb = t.next("put, del or get");
        TxnOp op = switch (verb) {
            case "put" -> TxnOp.put(decode.apply("KEY", t.next("KEY")), decode.apply("VALUE", t.next("VALUE")));
            case "del", "delete" -> TxnOp.delete(decode.apply("KEY", t.next("KEY")));
            case "get" -> TxnOp.get(decode.apply("KEY", t.next("KEY")));
            default -> throw new IllegalArgumentException("unknown operation " + verb + " (use put, del or get)");
        };
        t.end();
        return op;
    }

    /** Whitespace-separated tokens, double-quoted ones with escapes; ')' ends a token too. */
    private static final class Tokens {
        private final String line;
        private int pos;

        Tokens(String line, int pos) {
            this.line = line;
            this.pos = pos;
        }

        private void skipSpace() {
            while (pos < line.length() && Character.isWhitespace(line.charAt(pos))) {
                pos++;
            }
        }

        String next(String what) {
            skipSpace();
            if (pos >= line.length()) {
                throw new IllegalArgumentException("missing " + what);
            }
            if (line.charAt(pos) != '"') {
                int start = pos;
                while (pos < line.length() && !Character.isWhitespace(line.charAt(pos)) && line.charAt(pos) != ')') {
                    pos++;
                }
                if (start == pos) {
                    throw new IllegalArgumentException("missing " + what);
                }
                return line.substring(start, pos);
            }
            StringBuilder out = new StringBuilder();
            pos++;
            while (pos < line.length()) {
                char c = line.charAt(pos++);
                if (c == '"') {
                    return out.toString();
                }
                if (c == '\\' && pos < line.length()) {
                    char e = line.charAt(pos++);
                    out.append(switch (e) {
                        case 'n' -> '\n';
                        case 't' -> '\t';
                        case '"', '\\' -> e;
                        default -> throw new IllegalArgumentException("unknown escape \\" + e);
                    });
                } else {
                    out.append(c);
                }
            }
            throw new IllegalArgumentException("a quoted " + what + " is not closed");
        }

        void expect(char c) {
            skipSpace();
            if (pos >= line.length() || line.charAt(pos) != c) {
                throw new IllegalArgumentException("expected " + c);
            }
            pos++;
        }

        void end() {
            skipSpace();
            if (pos < line.length()) {
                throw new IllegalArgumentException("unexpected " + line.substring(pos));
            }
        }
    }
}
