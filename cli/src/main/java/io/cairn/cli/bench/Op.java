package io.cairn.cli.bench;

/** One request of a run, chosen before it is sent. Arrays are shared and never modified. */
sealed interface Op permits Op.Put, Op.Get, Op.Cas, Op.Scan, Op.Txn, Op.LockCycle {
    record Put(byte[] key, byte[] value) implements Op {}

    record Get(byte[] key) implements Op {}

    /** Read the key's version, then compare-and-set it to {@code value}. */
    record Cas(byte[] key, byte[] value) implements Op {}

    /** Read both keys and write {@code value} to both in one transaction. */
    record Txn(byte[] first, byte[] second, byte[] value) implements Op {}

    /** Take the lock, write {@code value} to {@code key} fenced by its token, release it. */
    record LockCycle(byte[] lock, byte[] key, byte[] value) implements Op {}

    /** Up to {@code limit} keys from {@code fromKey} on. */
    record Scan(byte[] fromKey, int limit) implements Op {}
}
