/**
 * The node's segmented write-ahead log, shared by all consensus groups on the node: one write and
 * one fdatasync persist the batches of many groups.
 *
 * <h2>Using it</h2>
 * The host:
 * <ol>
 *   <li>opens the log with {@link io.cairn.wal.Wal#open}, which replays every record, in log
 *       order, to a callback before returning; the host rebuilds each group's log from them,
 *       letting a later record supersede an earlier one as its own rules say;</li>
 *   <li>calls {@link io.cairn.wal.Wal#release} for each group with the index of its oldest needed
 *       record (release points are kept in memory only, so again after every open);</li>
 *   <li>appends batches with {@link io.cairn.wal.Wal#appendAndSync} from one loop, or with
 *       {@link io.cairn.wal.Wal#append} from many threads, and sends nothing that promises a
 *       record is stored until its call returned or its future completed;</li>
 *   <li>after a snapshot, calls {@link io.cairn.wal.Wal#release} again so old segments go; a
 *       record the group still needs must carry an index at or above its release point (a host
 *       keeping hard state here re-appends it before releasing past the record holding it);</li>
 *   <li>on {@link io.cairn.wal.WalFailedException}, stops using the instance and reopens;
 *       on {@link io.cairn.wal.WalCorruptionException}, stops the node.</li>
 * </ol>
 *
 * <h2>Durability contract</h2>
 * When an append's future completes (or {@code appendAndSync} returns), its records and those of
 * every batch queued before it have been written and fdatasynced, and the segment holding them
 * was fully created: its header synced under a temporary name, renamed, and the directory synced.
 * After a crash, recovery returns a prefix of the records in append order that contains every
 * acknowledged record. Unacknowledged records may be lost; a batch is not atomic, so the first
 * records of an unacknowledged batch may survive without the rest. A failed write or sync is not
 * retried: the instance fails every pending and later append, and reopening recovers.
 *
 * <h2>Files</h2>
 * The directory holds segments named by a sequence number, zero-padded to 20 digits
 * ({@code 00000000000000000001.wal}) so name order is log order. A segment is rolled over before a
 * batch would take it past {@link io.cairn.wal.WalOptions#segmentBytesTarget()} (64 MiB by
 * default); a batch never spans two segments. Segments are not preallocated (see
 * {@code SegmentWriter}). A segment is a 20-byte header (magic {@code CWAL}, version 1, its
 * sequence number, CRC32C) followed by frames, integers big-endian:
 * <pre>
 *  u32 bodyLength   u32 CRC32C(bodyLength)   u32 CRC32C(bodyLength, body)
 *  body: u32 writeStart   u64 groupId   u8 kind   u64 index   payload
 * </pre>
 * {@code writeStart} is the segment offset at which the write that carried the frame began.
 *
 * <h2>Recovery</h2>
 * Every write is fdatasynced before the next begins, and a segment is complete before the next
 * is created, so a crash can only damage the final write, at the end of the last segment. Damage
 * there (a cut-off frame, zeros, a checksum mismatch) is cut off when every intact frame after
 * it belongs to that same final write; the {@link io.cairn.wal.RecoveryReport} says where and how
 * much. Anything else is acknowledged data lost, and {@code open} throws
 * {@link io.cairn.wal.WalCorruptionException} naming the file and byte offset: damage in any
 * segment but the last, damage followed by an intact frame from a later write, a bad segment
 * header, or a missing segment.
 *
 * <h2>Bounds</h2>
 * Payloads are at most {@link io.cairn.wal.WalOptions#recordPayloadBytesMax()} (16 MiB by default);
 * at most {@link io.cairn.wal.WalOptions#queuedBytesMax()} encoded bytes (64 MiB by default) wait
 * for the writer, appenders block beyond that, and no batch may be larger.
 */
package io.cairn.wal;
