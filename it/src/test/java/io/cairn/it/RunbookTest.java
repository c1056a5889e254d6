package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.client.Members;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every command of the membership runbook in docs/operations.md, in order, as real
 * processes: {@code bin/cairn server} lines start nodes, the others run the CLI and must exit 0.
 * The machines 10.0.0.N become ports on 127.0.0.1, each node's {@code /var/lib/cairn} a
 * directory of its own; nodes get a 3 s dead-node timeout and commands a 30 s timeout. What the
 * prose asks the operator to do (stop a node, lose a machine) the test does before the section's
 * commands, by the section's title.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class RunbookTest {
    private static final Path DOC = Path.of("..", "docs", "operations.md");
    private static final Pattern MACHINE = Pattern.compile("10\\.0\\.0\\.([0-9]+):7401");

    /** Kept when the test fails: the nodes' logs are in it. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private final TreeMap<Integer, Integer> ports = new TreeMap<>();
    private final TreeMap<String, Process> nodes = new TreeMap<>();
    private final List<String> transcript = new ArrayList<>();

    @Test
    void everyCommandOfTheMembershipRunbookWorksInOrder() throws Exception {
        LinkedHashMap<String, List<String>> sections = runbook(Files.readString(DOC, StandardCharsets.UTF_8));
        assertThat(sections.keySet()).containsExactly("Start the founders", "Add a node", "Restart a node",
                "Replace a dead node", "Remove a node");
        try {
            for (Map.Entry<String, List<String>> section : sections.entrySet()) {
                prepare(section.getKey());
                for (String command : section.getValue()) {
                    run(command);
                }
            }
            try (CairnClient admin = CairnClient.builder().endpoints(List.of(address(1)))
                    .requestTimeout(Duration.ofSeconds(10)).build()) {
                Members m = admin.members();
                assertThat(m.member(1).orElseThrow().state()).isEqualTo(Members.State.UP);
                assertThat(m.member(2).orElseThrow().state()).isEqualTo(Members.State.UP);
                assertThat(m.member(3).orElseThrow().address()).isEqualTo(address(5));
                assertThat(m.member(3).orElseThrow().state()).isEqualTo(Members.State.UP);
                assertThat(m.member(4).orElseThrow().state()).isEqualTo(Members.State.REMOVED);
            }
            Process n4 = nodes.get("n4");
            assertThat(n4.waitFor(30, TimeUnit.SECONDS)).as("the removed node stops by itself").isTrue();
            assertThat(n4.exitValue()).isEqualTo(2);
            assertThat(transcript.get(transcript.size() - 1)).as("the key written at the start").isEqualTo("hello");
        } finally {
            transcript.forEach(System.out::println);
            for (Process p : nodes.values()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The commands of each "###" section between "## Membership runbook" and the next "##". */
    static LinkedHashMap<String, List<String>> runbook(String doc) {
        int start = doc.indexOf("\n## Membership runbook");
        int end = doc.indexOf("\n## ", start + 1);
        LinkedHashMap<String, List<String>> sections = new LinkedHashMap<>();
        String section = null;
        boolean inCode = false;
        StringBuilder pending = new StringBuilder();
        for (String line : doc.substring(start, end).split("\n")) {
            if (line.startsWith("### ")) {
                section = line.substring(4).trim();
                sections.put(section, new ArrayList<>());
            } else if (line.startsWith("```")) {
                inCode = !inCode;
            } else if (inCode && section != null) {
                String code = line.replaceAll("\\s+#.*$", "").trim();
                if (code.isEmpty()) {
                    continue;
                }
                if (code.endsWith("\\")) {
                    pending.append(code, 0, code.length() - 1).append(' ');
                    continue;
                }
                sections.get(section).add(pending.append(code).toString().trim());
                pending.setLength(0);
            }
        }
        return sections;
    }

    private void prepare(String section) throws Exception {
        switch (section) {
            case "Restart a node" -> {
                Process n2 = nodes.get("n2");
                n2.destroy(); // SIGTERM: the operator's Ctrl-C or kill
                assertThat(n2.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            case "Replace a dead node" -> {
                nodes.get("n3").destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                try (CairnClient admin = CairnClient.builder().endpoints(List.of(address(1)))
                        .requestTimeout(Duration.ofSeconds(5)).build()) {
                    Awaitility.await("n3 marked dead").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                            .ignoreExceptions().until(() -> admin.members().member(3).orElseThrow().state() == Members.State.DEAD);
                }
            }
            default -> { }
        }
    }

    private void run(String command) throws Exception {
        assertThat(command).startsWith("bin/cairn ");
        List<String> args = new ArrayList<>();
        String node;
        for (String token : command.substring("bin/cairn ".length()).trim().split("\\s+")) {
            args.add(substitute(token));
        }
        transcript.add("$ " + command);
        if (args.get(0).equals("server")) {
            node = args.get(args.indexOf("--node-id") + 1);
            int machine = machineOf(args.get(args.indexOf("--listen") + 1));
            args.set(args.indexOf("--data-dir") + 1, dir.resolve(node + "-on-" + machine).toString());
            args.addAll(List.of("--dead-node-timeout", "3s"));
            Process p = java(args, true).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(node + ".log").toFile())).start();
            nodes.put(node, p);
            return;
        }
        args.addAll(0, List.of("--timeout", "30s"));
        Process p = java(args, false).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        transcript.add(out);
        assertThat(p.exitValue()).as(command + "\n" + out).isZero();
    }

    private String substitute(String token) throws IOException {
        Matcher m = MACHINE.matcher(token);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, address(Integer.parseInt(m.group(1))));
        }
        return m.appendTail(sb).toString();
    }

    private int machineOf(String address) {
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        return ports.entrySet().stream().filter(e -> e.getValue() == port).findFirst().orElseThrow().getKey();
    }

    private String address(int machine) throws IOException {
        if (!ports.containsKey(machine)) {
            ports.put(machine, io.cairn.server.LocalPorts.free());
        }
        return "127.0.0.1:" + ports.get(machine);
    }

    /** The CLI as bin/cairn runs it: C1 only for a short command, as the launcher does. */
    private static ProcessBuilder java(List<String> args, boolean server) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC"));
        if (!server) {
            cmd.add("-XX:TieredStopAtLevel=1");
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.cairn.cli.CairnCli"));
        cmd.addAll(args);
        return new ProcessBuilder(cmd);
    }
}
