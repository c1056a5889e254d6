package io.cairn.sim.lin;

/**
 * Shorthands for building {@link KvModel} histories. Times are in whatever unit the history
 * uses; {@code call} and {@code ret} bound the operation's interval, both inclusive.
 */
public final class KvOps {
    private KvOps() {}

    public static Operation<KvInput, KvOutput> put(int client, String key, long value, long call, long ret) {
        return Operation.completed(client, new KvInput.Put(key, value), KvOutput.OK, call, ret);
    }

    /** A get that saw {@code value}. */
    public static Operation<KvInput, KvOutput> get(int client, String key, long value, long call, long ret) {
        return get(client, key, KvValue.of(value), call, ret);
    }

    /** A get that saw {@code value}, which may be {@link KvValue#ABSENT}. */
    public static Operation<KvInput, KvOutput> get(int client, String key, KvValue value, long call, long ret) {
        return Operation.completed(client, new KvInput.Get(key), new KvOutput.Read(value), call, ret);
    }

    public static Operation<KvInput, KvOutput> cas(
            int client, String key, KvValue expected, long newValue, boolean succeeded, long call, long ret) {
        return Operation.completed(
                client, new KvInput.Cas(key, expected, newValue), new KvOutput.Swapped(succeeded), call, ret);
    }

    public static Operation<KvInput, KvOutput> delete(int client, String key, long call, long ret) {
        return Operation.completed(client, new KvInput.Delete(key), KvOutput.OK, call, ret);
    }

    /** An operation called at {@code call} whose outcome is unknown. */
    public static Operation<KvInput, KvOutput> pending(int client, KvInput input, long call) {
        return Operation.pending(client, input, call);
    }
}
