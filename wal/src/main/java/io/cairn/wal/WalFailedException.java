package io.cairn.wal;

import java.io.IOException;

/**
 * A write or sync failed, so this WAL instance accepts no more records: after a failed fdatasync
 * the kernel may already have dropped the dirty pages, and retrying could report data durable
 * that is not. Every pending and later append fails with this exception; reopen to recover.
 */
public final class WalFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    public WalFailedException(Throwable cause) {
        super("WAL stopped after a failed write or sync: " + cause, cause);
    }
}
