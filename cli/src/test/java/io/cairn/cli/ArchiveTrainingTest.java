package io.cairn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * bin/cairn's training run answers every command as expected (else the archive lacks classes a
 * command needs), and SharedEventLoops still finds gRPC's event loops (else every short command
 * exits 300 ms later). In a JVM of its own: stopping gRPC's shared event loops would break
 * every later test in this one.
 */
class ArchiveTrainingTest {
    /** Run in a JVM of its own by the test below. */
    static final class Probe {
        public static void main(String[] args) throws Exception {
            List<String> unexpected = ArchiveTraining.train();
            System.out.println("unexpected: " + unexpected);
            SharedEventLoops.shutDown();
            // The stand-in server's event loops are gRPC's shared ones, which gRPC releases a
            // second after their last user: wait for them, with a deadline, before judging.
            try {
                org.awaitility.Awaitility.await("gRPC's shared event loops stop").atMost(Duration.ofSeconds(10))
                        .pollInterval(Duration.ofMillis(50)).until(() -> eventLoopThreads().isEmpty());
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                // Reported below: the test judges what is left.
            }
            String left = eventLoopThreads();
            System.out.println("client event-loop threads left: [" + left + "]");
            System.exit(0);
        }
    }

    private static String eventLoopThreads() {
        StringBuilder left = new StringBuilder();
        Thread[] threads = new Thread[Thread.activeCount() + 16];
        for (int i = 0, n = Thread.enumerate(threads); i < n; i++) {
            if (threads[i].getName().contains("worker-ELG") && threads[i].isAlive()) {
                left.append(threads[i].getName()).append(' ');
            }
        }
        return left.toString().trim();
    }

    @Test
    void trainingAnswersAsExpectedAndEventLoopsStop() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Probe.class.getName())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("unexpected: []").contains("client event-loop threads left: []");
    }
}
