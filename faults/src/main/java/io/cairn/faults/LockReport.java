package io.cairn.faults;

import io.cairn.sim.LockCheck;

/**
 * What a scenario's lock workload ({@link LockWorkload}) did and what {@link LockCheck} found.
 *
 * @param clients          lock clients (0: the workload did not run)
 * @param fenced           false in the negative control: the writes went without their fence
 * @param steps            lock steps recorded (lock, unlock, register writes, the final read)
 * @param grants           locks taken (extensions not counted)
 * @param extensions       grants extended by their holder (same token)
 * @param busy             attempts that found another owner holding the lock
 * @param writesOk         register writes applied
 * @param writesRefused    fenced writes refused because their token was no longer the grant
 * @param takenOver        of those, writes after a pause past the TTL refused in favour of a newer grant
 * @param pausesPastTtl    writes sent after the holder paused for longer than the TTL
 * @param unknown          steps whose outcome the client did not learn
 * @param expiryMarginMs   the margin the lease-expiry rule was judged with
 * @param violation        the first rule broken, or null
 * @param waitedGrants     session holders' grants (after waiting in line or not)
 * @param sessionsLost     session holders' requests answered that the cluster had ended their session
 * @param processStops     SIGSTOPs of a process holder past the TTL while it held the lock
 * @param lossesNoticed    sessions a process holder's client reported lost (its listener fired)
 * @param writesReleased   session holders' fenced writes that released the lock in their own entry, applied
 */
record LockReport(int clients, boolean fenced, long steps, long grants, long extensions, long busy, long writesOk,
                  long writesRefused, long takenOver, long pausesPastTtl, long unknown, long expiryMarginMs,
                  LockCheck.Violation violation, long waitedGrants, long sessionsLost, long processStops,
                  long lossesNoticed, long writesReleased) {
    static final LockReport NONE = new LockReport(0, true, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null, 0, 0, 0, 0, 0);

    static LockReport of(LockWorkload load, int clients, long steps, long expiryMarginMs, LockCheck.Violation violation) {
        return new LockReport(clients, load.fenced(), steps, load.grants.get(), load.extensions.get(), load.busy.get(),
                load.writesOk.get(), load.writesRefused.get(), load.takenOver.get(), load.pausesPastTtl.get(),
                load.unknown.get(), expiryMarginMs, violation, load.waitedGrants.get(), load.sessionsLost.get(),
                load.processStops.get(), load.lossesNoticed.get(), load.writesReleased.get());
    }

    /** Broken rules found: 0 or 1 (the checker stops at the first). */
    int violations() {
        return violation == null ? 0 : 1;
    }
}
