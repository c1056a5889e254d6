package io.cairn.placement;

/**
 * Divides the {@link HashSlots#SLOT_COUNT} slots into {@code shardCount} contiguous ranges.
 * Shard {@code i} owns slots [{@code floor(i * 4096 / S)}, {@code floor((i + 1) * 4096 / S)}),
 * so range sizes differ by at most one. The shard count is fixed when the cluster is created;
 * the suggested default, 8 per initial node, is the caller's choice.
 */
public final class ShardMap {
    private final int shardCount;
    private final short[] shardBySlot;

    private ShardMap(int shardCount) {
        this.shardCount = shardCount;
        this.shardBySlot = new short[HashSlots.SLOT_COUNT];
        for (int shard = 0; shard < shardCount; shard++) {
            for (int slot = firstSlot(shard); slot < endSlotExclusive(shard); slot++) {
                shardBySlot[slot] = (short) shard;
            }
        }
    }

    /** A map of {@code shardCount} shards, which must be in [1, {@link HashSlots#SLOT_COUNT}]. */
    public static ShardMap of(int shardCount) {
        if (shardCount < 1 || shardCount > HashSlots.SLOT_COUNT) {
            throw new IllegalArgumentException(
                    "shard count must be in [1, " + HashSlots.SLOT_COUNT + "]: " + shardCount);
        }
        return new ShardMap(shardCount);
    }

    /** The suggested shard count for a new cluster: 8 per node, capped at the slot count. */
    public static int defaultShardCount(int nodeCount) {
        if (nodeCount < 1) {
            throw new IllegalArgumentException("node count must be positive: " + nodeCount);
        }
        return Math.min(HashSlots.SLOT_COUNT, 8 * nodeCount);
    }

    public int shardCount() {
        return shardCount;
    }

    /** The shard owning {@code slot}, which must be in [0, {@link HashSlots#SLOT_COUNT}). */
    public int shardOfSlot(int slot) {
        if (slot < 0 || slot >= HashSlots.SLOT_COUNT) {
            throw new IllegalArgumentException("slot out of range: " + slot);
        }
        return shardBySlot[slot];
    }

    /** The shard owning {@code key}. */
    public int shardOfKey(byte[] key) {
        return shardBySlot[HashSlots.slot(key)];
    }

    /** First slot of {@code shard}, inclusive. */
    public int firstSlot(int shard) {
        checkShard(shard);
        return (int) ((long) shard * HashSlots.SLOT_COUNT / shardCount);
    }

    /** End of {@code shard}'s slot range, exclusive. */
    public int endSlotExclusive(int shard) {
        checkShard(shard);
        return (int) ((long) (shard + 1) * HashSlots.SLOT_COUNT / shardCount);
    }

    private void checkShard(int shard) {
        if (shard < 0 || shard >= shardCount) {
            throw new IllegalArgumentException("shard out of range [0, " + shardCount + "): " + shard);
        }
    }
}
