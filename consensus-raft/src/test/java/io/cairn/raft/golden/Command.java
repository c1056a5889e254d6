package io.cairn.raft.golden;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One script command, {@code name arg1 arg2 key=value key=(a,b)}: whitespace separates tokens,
 * a token with '=' is an option, anything else a positional argument. Lists are written
 * {@code (1,2,3)} without spaces. Options a command does not read are rejected, so a typo such
 * as {@code chekquorum=true} fails loudly instead of being ignored.
 */
final class Command {
    final String name;
    private final List<String> args;
    private final Map<String, String> options;
    private final Set<String> readOptions = new TreeSet<>();

    private Command(String name, List<String> args, Map<String, String> options) {
        this.name = name;
        this.args = args;
        this.options = options;
    }

    static Command parse(String line) {
        String[] tokens = line.strip().split("\\s+");
        List<String> args = new ArrayList<>();
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i < tokens.length; i++) {
            int eq = tokens[i].indexOf('=');
            if (eq > 0) {
                options.put(tokens[i].substring(0, eq), tokens[i].substring(eq + 1));
            } else {
                args.add(tokens[i]);
            }
        }
        return new Command(tokens[0], args, options);
    }

    int argCount() {
        return args.size();
    }

    String arg(int i) {
        if (i >= args.size()) {
            throw new ScriptError(name + ": missing argument " + (i + 1));
        }
        return args.get(i);
    }

    long longArg(int i) {
        return parseLong(arg(i));
    }

    /** Every positional argument read as a node id or a list of ids: {@code 1 2} or {@code (1,2)}. */
    List<Long> idArgs(int from) {
        List<Long> ids = new ArrayList<>();
        for (int i = from; i < args.size(); i++) {
            ids.addAll(parseIds(args.get(i)));
        }
        return ids;
    }

    String option(String key, String dflt) {
        readOptions.add(key);
        return options.getOrDefault(key, dflt);
    }

    boolean hasOption(String key) {
        readOptions.add(key);
        return options.containsKey(key);
    }

    long longOption(String key, long dflt) {
        return parseLong(option(key, Long.toString(dflt)));
    }

    boolean boolOption(String key, boolean dflt) {
        String v = option(key, Boolean.toString(dflt));
        if (!v.equals("true") && !v.equals("false")) {
            throw new ScriptError(key + " must be true or false, got " + v);
        }
        return Boolean.parseBoolean(v);
    }

    List<Long> idsOption(String key) {
        return parseIds(option(key, "()"));
    }

    List<String> listOption(String key) {
        return parseList(option(key, "()"));
    }

    /** Call after a command ran: an option nobody read is a typo in the script. */
    void checkAllOptionsRead() {
        for (String key : options.keySet()) {
            if (!readOptions.contains(key)) {
                throw new ScriptError(name + ": unknown option " + key);
            }
        }
    }

    static List<Long> parseIds(String token) {
        List<Long> ids = new ArrayList<>();
        for (String s : parseList(token)) {
            ids.add(parseLong(s));
        }
        return ids;
    }

    static long parseLong(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new ScriptError("not a number: " + s);
        }
    }

    private static List<String> parseList(String token) {
        String body = token.startsWith("(") && token.endsWith(")")
                ? token.substring(1, token.length() - 1) : token;
        List<String> out = new ArrayList<>();
        for (String s : body.split(",")) {
            if (!s.isBlank()) {
                out.add(s.strip());
            }
        }
        return out;
    }
}
