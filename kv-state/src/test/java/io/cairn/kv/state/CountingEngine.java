package io.cairn.kv.state;

import io.cairn.kv.engine.KvEngine;
import io.cairn.kv.engine.KvPair;
import io.cairn.kv.engine.MemoryKvEngine;
import io.cairn.kv.engine.WriteBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A MemoryKvEngine that records the batches written to it and where scans start, and can fail the next write. */
final class CountingEngine implements KvEngine {
    final MemoryKvEngine inner = new MemoryKvEngine();
    final List<WriteBatch> batches = new ArrayList<>();
    final List<byte[]> scanStarts = new ArrayList<>();
    boolean failNextWrite;

    @Override
    public byte[] get(byte[] key) {
        return inner.get(key);
    }

    @Override
    public void write(WriteBatch batch) {
        if (failNextWrite) {
            failNextWrite = false;
            throw new IllegalStateException("injected write failure");
        }
        batches.add(batch);
        inner.write(batch);
    }

    @Override
    public List<KvPair> scan(byte[] fromInclusive, byte[] toExclusive, int limit) {
        scanStarts.add(fromInclusive.clone());
        return inner.scan(fromInclusive, toExclusive, limit);
    }

    @Override
    public void flush() {
        inner.flush();
    }

    @Override
    public List<Path> checkpoint(Path dir) throws IOException {
        return inner.checkpoint(dir);
    }

    @Override
    public void restore(Path dir) throws IOException {
        inner.restore(dir);
    }

    @Override
    public long approximateSizeBytes() {
        return inner.approximateSizeBytes();
    }

    @Override
    public void close() {
        inner.close();
    }
}
