/**
 * Aggregations that run where the data lives (docs/aggregation.md): the {@link
 * io.cairn.aggregate.Aggregator} SPI, the built-in aggregators, and {@link
 * io.cairn.aggregate.Aggregation}, which groups keys and carries shards' partial results. Pure
 * code with no threads, clocks or I/O, so shards, the merging node and tests all run the same.
 */
package io.cairn.aggregate;
