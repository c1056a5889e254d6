package io.cairn.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnClient;
import io.cairn.client.ShardsReport;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The web dashboard in a real headless browser (Debian's chromium, driven by Selenium through
 * its chromedriver) against a real 3-node, 3-shard cluster of separate processes under load: it
 * shows the three nodes and which shards each holds and leads, and after the leader of shard 0
 * is killed with SIGKILL it marks that node down and shows the shard led by another node, with
 * the new leadership among its recent events. Screenshots land in
 * {@code target/screenshots/}.
 *
 * <p>Needs /usr/bin/chromium and /usr/bin/chromedriver ({@code apt-get install chromium
 * chromium-driver}; {@code .ci/run} installs them). Without them the test is skipped with that
 * advice, unless {@code CAIRN_REQUIRE_BROWSER=1} (set by {@code .ci/run}) makes it fail instead.
 */
class DashboardBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void theDashboardShowsEveryNodeAndItsShardsThenAKilledLeaderGoesDownAndItsShardMoves() throws Exception {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String advice = "the dashboard test needs " + CHROMIUM + " and " + CHROMEDRIVER
                + ": apt-get install chromium chromium-driver";
        if ("1".equals(System.getenv("CAIRN_REQUIRE_BROWSER"))) {
            assertThat(present).as(advice).isTrue();
        }
        Assumptions.assumeTrue(present, advice);

        Map<Integer, Integer> httpPorts = new TreeMap<>();
        try (LocalCluster cluster = new LocalCluster(dir, 3, List.of());
             CairnClient admin = CairnClient.builder().endpoints(cluster.endpoints())
                     .requestTimeout(Duration.ofSeconds(3)).build()) {
            for (int id = 1; id <= 3; id++) {
                httpPorts.put(id, io.cairn.server.LocalPorts.free());
                cluster.start(id, List.of("--tick-ms", "50", "--shards", "3",
                        "--http-listen", "127.0.0.1:" + httpPorts.get(id)));
            }
            Awaitility.await("every shard led").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions().until(admin::shards, DashboardBrowserTest::everyShardLed);
            Workload load = new Workload(cluster.endpoints(), 64);
            load.start(4, 11);
            WebDriver browser = chromium();
            try {
                browser.get("http://127.0.0.1:" + httpPorts.get(1) + "/dashboard/");
                awaitPage(browser, "three nodes up, each shard with a leader", b -> nodesWithStatus(b, "up") == 3
                        && b.findElements(By.cssSelector("#shards tr.shard")).size() == 4
                        && b.findElements(By.cssSelector("#shards tr.shard[data-leader='']")).isEmpty());
                assertThat(browser.findElement(By.id("served-by")).getText()).isEqualTo("n1");
                for (int id = 1; id <= 3; id++) {
                    assertThat(read(browser, "#nodes .node[data-node='n" + id + "'] .node-holds", "textContent"))
                            .as("n%d holds a replica of every shard (3 nodes, 3 replicas each)", id)
                            .contains("meta", "0", "1", "2");
                }
                load.awaitAcknowledgedWrites(300, Duration.ofSeconds(60));
                awaitPage(browser, "charts drawn", b -> b.findElements(By.cssSelector("#charts .chart canvas")).size() >= 5);
                screenshot(browser, "dashboard-3-nodes-under-load.png");

                int victim = Integer.parseInt(leaderOf(browser, "0").substring(1));
                int viewer = victim == 1 ? 2 : 1;
                if (viewer != 1) {
                    // The dashboard works against any node: watch from one that survives.
                    browser.get("http://127.0.0.1:" + httpPorts.get(viewer) + "/dashboard/");
                    awaitPage(browser, "the page of n" + viewer, b -> nodesWithStatus(b, "up") == 3);
                }
                cluster.kill(victim);
                awaitPage(browser, "n" + victim + " marked down",
                        b -> "down".equals(read(b, "#nodes .node[data-node='n" + victim + "']", "dataset.status")));
                awaitPage(browser, "shard 0 led by another node", b -> {
                    String leader = leaderOf(b, "0");
                    return !leader.isEmpty() && !leader.equals("n" + victim);
                });
                String newLeader = leaderOf(browser, "0");
                awaitPage(browser, "the new leadership among the recent events", b -> events(b).stream()
                        .anyMatch(e -> e.contains(newLeader + " became leader of shard 0")));
                screenshot(browser, "dashboard-n" + victim + "-killed.png");
            } finally {
                browser.quit();
                load.stop();
            }
        }
    }

    private static boolean everyShardLed(ShardsReport r) {
        return r.epoch() >= 1 && r.shards().size() == 3 && r.shards().stream().allMatch(s -> s.leader() != 0);
    }

    private static WebDriver chromium() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // The flags keep chromium off the network it would reach for updates, sync and the like.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1400,1000");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    /** Waits for what the page shows; a stale element (the page re-rendered) is a reason to look again. */
    private static void awaitPage(WebDriver browser, String what, java.util.function.Predicate<WebDriver> shown) {
        Awaitility.await(what).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> "true".equals(browser.findElement(By.tagName("body")).getAttribute("data-loaded"))
                        && shown.test(browser));
    }

    private static long nodesWithStatus(WebDriver b, String status) {
        return b.findElements(By.cssSelector("#nodes .node[data-status='" + status + "']")).size();
    }

    /**
     * A property of the element {@code css} finds, read in one script: the page re-renders every
     * second, so an element found in one call may be gone by the next. "" when nothing matches.
     */
    private static String read(WebDriver b, String css, String property) {
        Object v = ((JavascriptExecutor) b).executeScript(
                "const e = document.querySelector(arguments[0]); return e ? String(e." + property + " ?? '') : '';", css);
        return v == null ? "" : v.toString();
    }

    private static String leaderOf(WebDriver b, String shard) {
        return read(b, "#shards tr.shard[data-shard='" + shard + "']", "dataset.leader");
    }

    @SuppressWarnings("unchecked")
    private static List<String> events(WebDriver b) {
        return (List<String>) ((JavascriptExecutor) b).executeScript(
                "return Array.from(document.querySelectorAll('#events li.event'), e => e.textContent);");
    }

    private static void screenshot(WebDriver browser, String name) throws Exception {
        Files.createDirectories(SCREENSHOTS);
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        System.out.println("screenshot: " + SCREENSHOTS.resolve(name).toAbsolutePath());
    }
}
