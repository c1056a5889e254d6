package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import io.cairn.client.CairnClient;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys and values are bytes: what goes in through the CLI comes out exactly, in every form. */
class ByteExactCliTest {
    private static final HexFormat HEX = HexFormat.of();
    /** -Dcairn.test.seed=N replays another run; the seed is in every failure message. */
    private static final long SEED = Long.getLong("cairn.test.seed", 20_260_611L);
    private static final int PAIRS = 1_000;

    @TempDir
    Path dir;

    private SingleNodeServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = SingleNodeServer.start(dir);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void aThousandRandomBinaryPairsComeBackByteExactThroughEveryForm() throws Exception {
        Random random = new Random(SEED);
        TreeMap<byte[], byte[]> pairs = randomPairs(random);
        List<byte[]> keys = new ArrayList<>(pairs.keySet());
        // Put order shuffled, so the modes below fall on every kind of key.
        java.util.Collections.shuffle(keys, random);
        Path valueFile = dir.resolve("value");

        for (int i = 0; i < keys.size(); i++) {
            byte[] key = keys.get(i);
            byte[] value = pairs.get(key);
            int mode = value.length == 0 ? 3 + i % 2 : i % 5;
            CliRun run = switch (mode) {
                case 0 -> isText(key) && isText(value) && !Arrays.equals(value, bytes("-"))
                        ? server.cli("put", "--", text(key), text(value))
                        : server.cli("put", "--hex", HEX.formatHex(key), HEX.formatHex(value));
                case 1 -> server.cli("put", "--hex", HEX.formatHex(key), HEX.formatHex(value));
                case 2 -> server.cli("put", "--base64", b64(key), b64(value));
                case 3 -> server.cliWithStdin(value, "put", "--hex", HEX.formatHex(key), "-");
                default -> {
                    Files.write(valueFile, value);
                    yield server.cli("put", "--base64", b64(key), "--file", valueFile.toString());
                }
            };
            assertThat(run.exitCode()).as("seed %d, put mode %d of %s: %s", SEED, mode, show(key), run.err()).isZero();
            assertThat(run.out()).startsWith("OK version=1 ");
        }

        // One get per key, in one of four forms.
        for (int i = 0; i < keys.size(); i++) {
            byte[] key = keys.get(i);
            byte[] value = pairs.get(key);
            String as = "seed " + SEED + ", get of " + show(key);
            String keyArg = isText(key) ? text(key) : HEX.formatHex(key);
            String[] keyForm = isText(key) ? new String[] {"--"} : new String[] {"--hex", "--raw", "--"};
            switch (i % 4) {
                case 0 -> assertThat(ok(server.cli(concat(new String[] {"get"}, keyForm, keyArg))).outBytes())
                        .as(as).isEqualTo(value);
                case 1 -> assertThat(ok(server.cli("get", "--hex", HEX.formatHex(key))).out())
                        .as(as).isEqualTo(HEX.formatHex(value) + "\n");
                case 2 -> assertThat(Base64.getDecoder().decode(ok(server.cli("get", "--base64", b64(key))).out().trim()))
                        .as(as).isEqualTo(value);
                default -> {
                    String out = ok(server.cli("get", "--json", "--base64", b64(key))).out();
                    assertThat(out.lines()).as(as).hasSize(1);
                    JsonObject json = strictJson(out);
                    assertThat(keyOf(json)).as(as).isEqualTo(key);
                    assertThat(valueOf(json)).as(as).isEqualTo(value);
                    assertThat(json.get("version").getAsLong()).as(as).isEqualTo(1);
                    assertThat(json.get("mod_revision").getAsLong()).isEqualTo(json.get("create_revision").getAsLong());
                }
            }
        }

        // Several keys in one multi-get, in hex and in JSON.
        for (int start = 0; start < keys.size(); start += 250) {
            List<byte[]> chunk = keys.subList(start, Math.min(keys.size(), start + 250));
            List<String> args = new ArrayList<>(List.of("get", "--hex"));
            chunk.forEach(k -> args.add(HEX.formatHex(k)));
            List<String> lines = ok(server.cli(args.toArray(String[]::new))).out().lines().toList();
            assertThat(lines).hasSize(chunk.size());
            for (int i = 0; i < chunk.size(); i++) {
                assertThat(lines.get(i)).as("seed %d", SEED)
                        .isEqualTo(HEX.formatHex(chunk.get(i)) + "\t" + HEX.formatHex(pairs.get(chunk.get(i))));
            }
        }
        List<String> jsonArgs = new ArrayList<>(List.of("get", "--json", "--base64"));
        keys.subList(0, 100).forEach(k -> jsonArgs.add(b64(k)));
        List<String> jsonLines = ok(server.cli(jsonArgs.toArray(String[]::new))).out().lines().toList();
        for (int i = 0; i < 100; i++) {
            JsonObject json = strictJson(jsonLines.get(i));
            assertThat(keyOf(json)).isEqualTo(keys.get(i));
            assertThat(valueOf(json)).isEqualTo(pairs.get(keys.get(i)));
        }

        // A raw value ends with a newline on a terminal only.
        byte[] someKey = keys.get(0);
        assertThat(ok(server.cliOnTerminal(new byte[0], "get", "--hex", HEX.formatHex(someKey))).outBytes())
                .isEqualTo(bytes(HEX.formatHex(pairs.get(someKey)) + "\n"));
        String[] rawGet = isText(someKey) ? new String[] {"get", "--", text(someKey)}
                : new String[] {"get", "--hex", "--raw", HEX.formatHex(someKey)};
        assertThat(ok(server.cliOnTerminal(new byte[0], rawGet)).outBytes())
                .isEqualTo(concat(pairs.get(someKey), new byte[] {'\n'}));

        // Scans of everything, in key (unsigned byte) order: the TreeMap's.
        List<String> scanJson = ok(server.cli("scan", "--json")).out().lines().toList();
        assertThat(scanJson).hasSize(pairs.size());
        int i = 0;
        for (Map.Entry<byte[], byte[]> e : pairs.entrySet()) {
            JsonObject json = strictJson(scanJson.get(i++));
            assertThat(keyOf(json)).as("seed %d, scan --json line %d", SEED, i).isEqualTo(e.getKey());
            assertThat(valueOf(json)).as("seed %d, scan --json line %d", SEED, i).isEqualTo(e.getValue());
        }
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        ByteArrayOutputStream rawKeys = new ByteArrayOutputStream();
        StringBuilder hexLines = new StringBuilder();
        StringBuilder b64Lines = new StringBuilder();
        for (Map.Entry<byte[], byte[]> e : pairs.entrySet()) {
            raw.writeBytes(concat(e.getKey(), new byte[] {'\t'}, e.getValue(), new byte[] {'\n'}));
            rawKeys.writeBytes(concat(e.getKey(), new byte[] {'\n'}));
            hexLines.append(HEX.formatHex(e.getKey())).append('\t').append(HEX.formatHex(e.getValue())).append('\n');
            b64Lines.append(b64(e.getKey())).append('\t').append(b64(e.getValue())).append('\n');
        }
        assertThat(ok(server.cli("scan")).outBytes()).as("seed %d", SEED).isEqualTo(raw.toByteArray());
        assertThat(ok(server.cli("scan", "--keys-only")).outBytes()).isEqualTo(rawKeys.toByteArray());
        assertThat(ok(server.cli("scan", "--hex", "--raw", "--from", "00")).outBytes()).isEqualTo(raw.toByteArray());
        assertThat(ok(server.cli("scan", "--hex")).out()).isEqualTo(hexLines.toString());
        assertThat(ok(server.cli("scan", "--base64")).out()).isEqualTo(b64Lines.toString());
        List<String> keysJson = ok(server.cli("scan", "--keys-only", "--json")).out().lines().toList();
        assertThat(keysJson).hasSize(pairs.size());
        assertThat(strictJson(keysJson.get(0)).has("value")).isFalse();
        assertThat(keyOf(strictJson(keysJson.get(0)))).isEqualTo(pairs.firstKey());
    }

    @Test
    void keysThatDifferOnlyInBytesThatAreNotUtf8StayDistinct() {
        server.ok("put", "--hex", "752f63ff", "41");
        server.ok("put", "--hex", "752f63fe", "42");
        assertThat(server.ok("get", "--hex", "752f63ff").out()).isEqualTo("41\n");
        assertThat(server.ok("get", "--base64", "dS9j/g==").out()).isEqualTo("Qg==\n");
        assertThat(server.ok("scan", "--prefix", "752f63", "--hex").out()).isEqualTo("752f63fe\t42\n752f63ff\t41\n");
        assertThat(server.ok("scan", "--hex", "--from", "752f63ff").out()).isEqualTo("752f63ff\t41\n");
        assertThat(server.ok("scan", "--base64", "--to", "dS9j/w==").out()).isEqualTo("dS9j/g==\tQg==\n");
        assertThat(server.ok("scan", "--prefix", "u/c", "--json").out()).isEqualTo(
                "{\"key_base64\":\"dS9j/g==\",\"value\":\"B\",\"version\":1,\"create_revision\":"
                        + revisionOf("752f63fe") + ",\"mod_revision\":" + revisionOf("752f63fe") + "}\n"
                        + "{\"key_base64\":\"dS9j/w==\",\"value\":\"A\",\"version\":1,\"create_revision\":"
                        + revisionOf("752f63ff") + ",\"mod_revision\":" + revisionOf("752f63ff") + "}\n");

        // What a UTF-8 launcher hands main for either key: refused, nothing sent.
        for (String[] args : List.of(new String[] {"put", "u/c\uFFFD", "C"}, new String[] {"put", "k", "v\uFFFD"},
                new String[] {"get", "u/c\uFFFD"}, new String[] {"del", "u/c\uFFFD"},
                new String[] {"scan", "--prefix", "u/c\uFFFD"}, new String[] {"cas", "u/c\uFFFD", "1", "C"})) {
            CliRun run = server.cli(args);
            assertThat(run.exitCode()).as(String.join(" ", args)).isEqualTo(CairnCli.EXIT_BAD_INPUT);
            assertThat(run.errLines()).hasSize(1);
            assertThat(run.err()).contains("not valid UTF-8").contains("--hex");
            assertThat(run.outBytes()).isEmpty();
        }
        assertThat(server.ok("scan", "--hex").out().lines()).hasSize(2);
        // A literal U+FFFD is stored when given as hex.
        server.ok("put", "--hex", "efbfbd", "7265706c6163656d656e74");
        assertThat(server.ok("get", "--json", "--hex", "efbfbd").out()).startsWith("{\"key\":\"\uFFFD\",\"value\":\"replacement\",");
    }

    @Test
    void jsonEscapesTextAndFallsBackToBase64() {
        server.ok("put", "--", "t\"a\\b\tc\nd\u0001é😀", "x\u0000y");
        server.ok("put", "--hex", "01", "ff00");
        String revision = String.valueOf(revisionOf(HEX.formatHex(bytes("t\"a\\b\tc\nd\u0001é😀"))));
        assertThat(server.ok("get", "--json", "--", "t\"a\\b\tc\nd\u0001é😀").out()).isEqualTo(
                "{\"key\":\"t\\\"a\\\\b\\tc\\nd\\u0001é😀\",\"value\":\"x\\u0000y\",\"version\":1,"
                        + "\"create_revision\":" + revision + ",\"mod_revision\":" + revision
                        + ",\"served_by\":\"n1\",\"read_level\":\"linearizable\",\"staleness_ms_max\":0}\n");
        assertThat(server.ok("get", "--json", "--hex", "01").out()).startsWith("{\"key\":\"\\u0001\",\"value_base64\":\"/wA=\",");
        assertThat(server.ok("scan", "--keys-only", "--hex").out()).isEqualTo(
                "01\n" + HEX.formatHex(bytes("t\"a\\b\tc\nd\u0001é😀")) + "\n");
    }

    @Test
    void valuesComeFromStdinOrAFileUpToTheLimitAndOversizeIsRefusedAtOnce() throws Exception {
        byte[] max = new byte[CairnClient.VALUE_BYTES_MAX_DEFAULT];
        new Random(SEED).nextBytes(max);
        Path file = dir.resolve("max");
        Files.write(file, max);
        server.ok("put", "big", "--file", file.toString());
        assertThat(server.ok("get", "big").outBytes()).isEqualTo(max);
        ok(server.cliWithStdin(new byte[0], "put", "empty", "-"));
        assertThat(server.ok("get", "empty").outBytes()).isEmpty();
        assertThat(server.ok("get", "--json", "empty").out()).startsWith("{\"key\":\"empty\",\"value\":\"\",");
        ok(server.cliWithStdin(bytes("ab\n"), "cas", "empty", "1", "-"));
        assertThat(server.ok("get", "empty").outBytes()).isEqualTo(bytes("ab\n"));

        Path over = dir.resolve("over");
        Files.write(over, new byte[CairnClient.VALUE_BYTES_MAX_DEFAULT + 1]);
        assertBadInput(server.cli("put", "k", "--file", over.toString()), "over the limit 1048576");
        assertBadInput(server.cliWithStdin(new byte[CairnClient.VALUE_BYTES_MAX_DEFAULT + 1], "put", "k", "-"),
                "value on stdin is over the limit 1048576 bytes");
        assertBadInput(server.cli("put", "k", "--file", dir.resolve("missing").toString()), "no such file");
        assertBadInput(server.cli("put", "k", "v", "--file", file.toString()), "not both");
        assertBadInput(server.cli("put", "k"), "Missing required parameter: 'VALUE' (or - to read it from stdin");
        assertBadInput(server.cli("put", "--hex", "6b", "zz"), "VALUE is not hex");
        assertBadInput(server.cli("put", "--base64", "a", "dg=="), "KEY is not base64");
        assertBadInput(server.cli("put", "--hex", "--base64", "6b", "76"), "either --hex or --base64");
        assertBadInput(server.cli("put", "--hex", "", "76"), "key must not be empty");
        assertThat(server.cli("get", "k").exitCode()).isEqualTo(CairnCli.EXIT_NEGATIVE);
    }

    @Test
    void delPrefixDeletesEveryKeyUnderItWithYesAndCountsThem() {
        // More keys than a scan page and than a window of deletes; put by the client, for speed.
        int under = ScanCommand.PAGE_KEYS_MAX + DelCommand.DELETES_IN_FLIGHT + 7;
        try (CairnClient client = CairnClient.builder().endpoints(server.endpoint()).build()) {
            List<java.util.concurrent.CompletableFuture<?>> puts = new ArrayList<>();
            for (int i = 0; i < under; i++) {
                puts.add(client.putAsync(hex("70ff" + String.format("%04x", i)), bytes("v")));
            }
            puts.forEach(java.util.concurrent.CompletableFuture::join);
        }
        server.ok("put", "--hex", "70fe", "76");
        server.ok("put", "p", "outside");
        assertThat(server.ok("del", "--prefix", "70ff", "--hex", "--yes").out()).isEqualTo(under + "\n");
        assertThat(server.ok("scan", "--hex", "--keys-only").out()).isEqualTo("70\n70fe\n");
        assertThat(server.ok("del", "--prefix", "70ff", "--hex", "-y").out()).isEqualTo("0\n");
    }

    @Test
    void delPrefixAsksOnATerminalAndRefusesWithoutOneUnlessYes() {
        server.ok("put", "job/1", "a");
        server.ok("put", "job/2", "b");
        server.ok("put", "jobs", "c");

        CliRun refused = server.cli("del", "--prefix", "job/");
        assertBadInput(refused, "--yes");
        assertThat(refused.err()).contains("'job/'");

        CliRun declined = server.cliOnTerminal(bytes("n\n"), "del", "--prefix", "job/");
        assertThat(declined.exitCode()).isEqualTo(CairnCli.EXIT_NEGATIVE);
        assertThat(declined.err()).isEqualTo("delete 2 keys under 'job/'? [y/N] cairn: nothing deleted\n");
        assertThat(declined.outBytes()).isEmpty();
        assertThat(server.cliOnTerminal(new byte[0], "del", "--prefix", "job/").exitCode())
                .as("end of input is no").isEqualTo(CairnCli.EXIT_NEGATIVE);

        CliRun confirmed = ok(server.cliOnTerminal(bytes("y\n"), "del", "--prefix", "job/"));
        assertThat(confirmed.err()).isEqualTo("delete 2 keys under 'job/'? [y/N] ");
        assertThat(confirmed.out()).isEqualTo("2\n");
        assertThat(server.ok("scan", "--keys-only").out()).isEqualTo("jobs\n");

        assertBadInput(server.cli("del", "--prefix", "", "--yes"), "--prefix must not be empty");
        assertBadInput(server.cli("del", "k", "--prefix", "j"), "either KEY or --prefix");
        assertBadInput(server.cli("del"), "either KEY or --prefix");
    }

    private long revisionOf(String hexKey) {
        JsonObject json = strictJson(server.ok("get", "--json", "--hex", hexKey).out());
        return json.get("mod_revision").getAsLong();
    }

    private static void assertBadInput(CliRun run, String messagePart) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(CairnCli.EXIT_BAD_INPUT);
        assertThat(run.outBytes()).isEmpty();
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.err()).startsWith("cairn: ").contains(messagePart);
    }

    private static CliRun ok(CliRun run) {
        assertThat(run.exitCode()).as("seed %d: %s", SEED, run.err()).isZero();
        return run;
    }

    /**
     * {@link #PAIRS} distinct keys with their values: edge cases (bytes that are not UTF-8, NUL,
     * tab, newline, 0xff, a literal U+FFFD, the longest key, empty and 1-byte values), then random
     * text and random bytes.
     */
    private static TreeMap<byte[], byte[]> randomPairs(Random random) {
        TreeMap<byte[], byte[]> pairs = new TreeMap<>(Arrays::compareUnsigned);
        List<byte[]> edgeKeys = List.of(hex("752f63ff"), hex("752f63fe"), hex("00"), hex("ff"), bytes("\n"),
                bytes("\t"), hex("80"), hex("c3"), hex("eda080"), hex("c0af"), hex("efbfbd"), hex("f4908080"),
                bytes("plain"), bytes("tab\there"), bytes("new\nline"), bytes("nul\0byte"), bytes("é😀"),
                bytes("-starts-with-dash"), bytes("@at"), randomBytes(random, CairnClient.KEY_BYTES_MAX_DEFAULT));
        List<byte[]> edgeValues = List.of(new byte[0], hex("00"), bytes("\n"), bytes("\t\n"), hex("ff"),
                hex("efbfbd"), bytes("-"), bytes("text value"), hex("c328"), randomBytes(random, 70_000));
        for (int i = 0; i < edgeKeys.size(); i++) {
            pairs.put(edgeKeys.get(i), edgeValues.get(i % edgeValues.size()));
        }
        while (pairs.size() < PAIRS) {
            byte[] key = random.nextInt(10) < 4 ? randomText(random, 1 + random.nextInt(24))
                    : randomBytes(random, 1 + random.nextInt(random.nextInt(10) == 0 ? 300 : 24));
            int valueBytes = switch (random.nextInt(20)) {
                case 0 -> 0;
                case 1 -> 1;
                case 2 -> 2_000 + random.nextInt(20_000);
                default -> random.nextInt(200);
            };
            byte[] value = random.nextBoolean() ? randomText(random, valueBytes) : randomBytes(random, valueBytes);
            if (key.length > 0 && key.length <= CairnClient.KEY_BYTES_MAX_DEFAULT) {
                pairs.putIfAbsent(key, value);
            }
        }
        return pairs;
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        // Bytes the shell and line formats trip on, more often than chance.
        for (int i = 0; i < n; i++) {
            if (random.nextInt(8) == 0) {
                b[i] = new byte[] {0, (byte) 0xff, '\n', '\t', '\r', (byte) 0xfe, '-', '\\'}[random.nextInt(8)];
            }
        }
        return b;
    }

    /** Valid UTF-8 of about {@code n} bytes: ASCII with controls, accents, CJK, emoji. */
    private static byte[] randomText(Random random, int n) {
        StringBuilder s = new StringBuilder();
        while (s.toString().getBytes(StandardCharsets.UTF_8).length < n) {
            switch (random.nextInt(6)) {
                case 0 -> s.append((char) random.nextInt(0x20));
                case 1 -> s.append((char) (0xa0 + random.nextInt(0x100)));
                case 2 -> s.append((char) (0x4e00 + random.nextInt(0x500)));
                case 3 -> s.appendCodePoint(0x1f600 + random.nextInt(0x40));
                default -> s.append((char) (0x20 + random.nextInt(0x5f)));
            }
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Whether {@code b} can be an argument as text: UTF-8 without U+FFFD. */
    private static boolean isText(byte[] b) {
        return ByteFormat.isUtf8(b) && !text(b).contains("\uFFFD");
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static JsonObject strictJson(String line) {
        JsonReader reader = new JsonReader(new StringReader(line));
        reader.setStrictness(Strictness.STRICT);
        return JsonParser.parseReader(reader).getAsJsonObject();
    }

    private static byte[] keyOf(JsonObject json) {
        return json.has("key") ? bytes(json.get("key").getAsString())
                : Base64.getDecoder().decode(json.get("key_base64").getAsString());
    }

    private static byte[] valueOf(JsonObject json) {
        return json.has("value") ? bytes(json.get("value").getAsString())
                : Base64.getDecoder().decode(json.get("value_base64").getAsString());
    }

    private static String show(byte[] key) {
        return "hex " + (key.length > 40 ? HEX.formatHex(key, 0, 40) + "..." : HEX.formatHex(key));
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    private static byte[] hex(String s) {
        return HEX.parseHex(s);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static String[] concat(String[] a, String[] b, String c) {
        String[] all = Arrays.copyOf(a, a.length + b.length + 1);
        System.arraycopy(b, 0, all, a.length, b.length);
        all[all.length - 1] = c;
        return all;
    }
}
