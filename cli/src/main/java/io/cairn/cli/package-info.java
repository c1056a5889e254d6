/**
 * The {@code cairn} command ({@link io.cairn.cli.CairnCli}, run by {@code bin/cairn}).
 *
 * <ul>
 *   <li>{@code server}: one node in the foreground ({@link io.cairn.server.CairnServer});</li>
 *   <li>{@code dev}: a local cluster of node processes, stopped together on Ctrl-C;</li>
 *   <li>{@code put}, {@code get}, {@code del}, {@code cas}, {@code scan},
 *       {@code cluster status}: requests through {@link io.cairn.client.CairnClient}, built from
 *       the global {@code --endpoints} and {@code --timeout};</li>
 *   <li>{@code bench}: a load generator ({@link io.cairn.cli.bench}).</li>
 * </ul>
 * Command output goes to stdout, everything else to stderr, one line per error; exit codes are
 * listed on {@link io.cairn.cli.CairnCli}.
 */
package io.cairn.cli;
