package io.cairn.wal;

import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A WAL just opened in a test, with the records its recovery replayed. */
record Opened(Wal wal, List<WalRecord> replayed) implements AutoCloseable {
    static Opened open(Path dir, WalOptions options, FileIo io) throws IOException {
        List<WalRecord> replayed = new ArrayList<>();
        Wal wal = Wal.open(dir, options, io, replayed::add);
        return new Opened(wal, replayed);
    }

    static Opened open(Path dir) throws IOException {
        return open(dir, WalOptions.DEFAULTS, new NioFileIo());
    }

    static WalRecord record(long group, long index, String payload) {
        return new WalRecord(new GroupId(group), (byte) 1, index, Bytes.utf8(payload));
    }

    /** A record whose payload is {@code payloadBytes} bytes, so its frame size is known. */
    static WalRecord sized(long group, long index, int payloadBytes) {
        byte[] payload = new byte[payloadBytes];
        for (int i = 0; i < payloadBytes; i++) {
            payload[i] = (byte) (group * 31 + index * 7 + i);
        }
        return new WalRecord(new GroupId(group), (byte) (index % 3), index, Bytes.wrap(payload));
    }

    @Override
    public void close() throws IOException {
        wal.close();
    }
}
