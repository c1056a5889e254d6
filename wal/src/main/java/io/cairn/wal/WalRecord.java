package io.cairn.wal;

import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import java.util.Objects;

/**
 * One record as its writer hands it over and recovery hands it back. The WAL reads only
 * {@code groupId} and {@code index}, to decide when the segment holding the record may be deleted
 * (see {@link Wal#release}); {@code kind} and {@code payload} are the caller's.
 *
 * @param groupId the consensus group the record belongs to
 * @param kind the caller's record type tag, stored and returned unchanged
 * @param index the caller's position for the record, never negative; the record is released once
 *     its group's release point passes it
 * @param payload the caller's bytes, at most {@link WalOptions#recordPayloadBytesMax()}
 */
public record WalRecord(GroupId groupId, byte kind, long index, Bytes payload) {
    public WalRecord {
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(payload, "payload");
        if (index < 0) {
            throw new IllegalArgumentException("record index must not be negative: " + index);
        }
    }
}
