/**
 * JMH micro-benchmarks of the hot paths. Each class states its workload and the command that
 * runs it ({@code bench/run-jmh <Name>}); results and their interpretation live in
 * {@code docs/performance.md}, never in timed unit tests.
 */
package io.cairn.bench;
