package io.cairn.sim.lin;

import io.cairn.common.Invariants;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;

/**
 * The search for one partition: Wing and Gong's algorithm with Lowe's memo, extended for
 * pending operations.
 *
 * <h2>Entry lists</h2>
 *
 * <p>Each completed operation has a call entry and a return entry in the <em>main</em> list;
 * each pending operation has only a call entry, in a separate <em>pending</em> list. Both are
 * doubly linked and sorted by time, calls before returns at equal times. Let R be the first
 * return entry of the main list: an operation may be placed next exactly when its call entry
 * precedes R, because R's operation must take effect before it returns.
 *
 * <h2>Search</h2>
 *
 * <p>In each configuration the search tries the pending list's entries before R, then the main
 * list's call entries before R. Placing an operation <em>lifts</em> it (unlinks its entries),
 * pushes it on a stack and starts a new configuration. When a configuration runs out of
 * candidates it is <em>finished</em>: the search pops the last placed operation, <em>unlifts</em>
 * it (relinks its entries exactly where they were) and resumes with the next candidate after
 * it. The partition is linearizable once every completed operation is placed; it is not once
 * the first configuration finishes.
 *
 * <p>Pending operations go first: one that took effect usually did so soon after its call. On
 * generated histories with many clients per key this finds linearizations two to five times
 * faster than trying them last, at the price of somewhat slower refutations; a passing history
 * is the common case, and an undecided one that was linearizable is a false alarm.
 *
 * <h2>Pending operations that are overwritten</h2>
 *
 * <p>A pending operation p placed just before an operation y is wasted when y reaches the same
 * state, legally, from the state before p: for a register, a put after a pending put. Dropping
 * p from such an order leaves a valid order, so the search only explores orders where this never
 * happens and prunes the move y. The order without p is still explored, from the configuration
 * before p, which is on the stack. Without this rule, n concurrent pending writes make the
 * search try every subset of them in every order.
 *
 * <h2>Memo</h2>
 *
 * <p>A configuration is (completed operations placed C, pending operations placed P, state s),
 * plus, when the last placed operation is pending, that operation and the state before it: the
 * rule above makes the moves allowed next depend on them. Placing a pending operation only
 * removes options: it is never required, and it does not change which operations may go next.
 * So every way to finish from (C, P, s) also finishes from (C, P', s) when P' is a subset of P,
 * and the same holds when both end in the same pending operation from the same state, or when
 * the smaller one does not end in a pending operation at all (fewer moves are pruned there).
 * The memo keeps the P of every finished configuration, from which there was no way to finish,
 * and the search skips a new configuration that one of them covers in this way. Without
 * pending operations this is exactly Lowe's memo.
 *
 * <p>Configurations enter the memo when they finish, not when they start: a configuration still
 * on the stack has not been refuted. It cannot be met again on its own path anyway, because C or
 * P grows with every placement.
 *
 * <p>Not thread-safe; one instance runs one search once.
 */
final class PartitionSearch<S, I, O> {
    /** How often the clock is read when there is a time limit; reading it every step costs. */
    private static final long CLOCK_CHECK_INTERVAL_STEPS = 1024;
    private static final int NO_ENTRY = -1;

    private final Model<S, I, O> model;
    private final String label;
    private final List<Operation<I, O>> operations;
    private final long maxSteps;
    private final Deadline deadline;

    // Entries as parallel arrays. Index entryCount is the main list's sentinel head and
    // entryCount + 1 the pending list's; each list is circular through its head.
    private final int mainHead;
    private final int pendingHead;
    private final int[] entryOperation;
    private final boolean[] entryIsCall;
    /** Position in the time order of all entries; compares entries across the two lists. */
    private final int[] rank;
    /** For a completed operation's call entry, its return entry; otherwise NO_ENTRY. */
    private final int[] returnEntry;
    private final int[] next;
    private final int[] prev;
    /** Per operation: its bit in completedPlaced or pendingPlaced, numbered in call order. */
    private final int[] placedBit;
    private final boolean[] pending;

    // Search state. The stack holds placed call entries, the state before each took effect and
    // the rank of R when each was placed.
    private final LongBits completedPlaced;
    private final LongBits pendingPlaced;
    private final HashMap<Configuration<S>, List<long[]>> finished = new HashMap<>();
    private final int[] stackEntries;
    private final int[] stackLimitRanks;
    private final ArrayList<S> stackStatesBefore;
    private int depth;
    private S state;
    private final int completedCount;
    private int completedUnplaced;
    private long steps;

    // Where the walk is: an entry of the pending list (up to limitRank) or of the main list.
    private int cursor;
    private boolean inPendingList;
    private int limitRank;

    // The first configuration with the most completed operations placed, for an explanation.
    private int deepestCompleted = -1;
    private int[] deepestPrefix = new int[0];
    private S deepestState;
    private int[] deepestCandidates = new int[0];
    private int deepestBlocker = NO_ENTRY;

    PartitionSearch(Model<S, I, O> model, Partition<I, O> partition, long maxSteps, Deadline deadline) {
        this.model = model;
        this.label = partition.label();
        this.operations = partition.operations();
        this.maxSteps = maxSteps;
        this.deadline = deadline;

        int operationCount = operations.size();
        this.pending = new boolean[operationCount];
        int completed = 0;
        for (int index = 0; index < operationCount; index++) {
            pending[index] = operations.get(index).isPending();
            completed += pending[index] ? 0 : 1;
        }
        this.completedCount = completed;
        this.completedUnplaced = completed;
        int entryCount = 2 * completed + (operationCount - completed);
        this.mainHead = entryCount;
        this.pendingHead = entryCount + 1;
        this.entryOperation = new int[entryCount];
        this.entryIsCall = new boolean[entryCount];
        this.rank = new int[entryCount];
        this.returnEntry = new int[entryCount];
        this.next = new int[entryCount + 2];
        this.prev = new int[entryCount + 2];
        this.placedBit = new int[operationCount];
        buildEntryLists(entryCount);

        this.completedPlaced = new LongBits(completed);
        this.pendingPlaced = new LongBits(operationCount - completed);
        this.stackEntries = new int[operationCount];
        this.stackLimitRanks = new int[operationCount];
        this.stackStatesBefore = new ArrayList<>(operationCount);
        this.state = model.initialState();
        Invariants.check(state != null, "model %s has a null initial state", model);
    }

    /** Decides the partition; {@code steps()} of the result counts this partition only. */
    CheckResult<I, O> run() {
        if (completedUnplaced == 0) {
            return new CheckResult.Ok<>(1, steps);
        }
        recordIfDeepest();
        startConfiguration();
        while (true) {
            if (inPendingList) {
                if (cursor == pendingHead || rank[cursor] > limitRank) {
                    cursor = next[mainHead];
                    inPendingList = false;
                    continue;
                }
            } else if (!entryIsCall(cursor)) {
                // Reached R: every candidate of this configuration has been tried.
                if (depth == 0) {
                    return illegal();
                }
                backtrack();
                continue;
            }
            if (steps >= maxSteps) {
                return new CheckResult.Unknown<>(label, "step budget of " + maxSteps + " exhausted", steps);
            }
            if (steps % CLOCK_CHECK_INTERVAL_STEPS == 0 && deadline.expired()) {
                return new CheckResult.Unknown<>(label, "time limit exceeded", steps);
            }
            steps++;
            if (!tryPlace(cursor)) {
                cursor = next[cursor];
                continue;
            }
            if (completedUnplaced == 0) {
                return new CheckResult.Ok<>(1, steps);
            }
            recordIfDeepest();
            startConfiguration();
        }
    }

    /**
     * Whether a main-list entry is a call. The walk never reaches the main head: a completed
     * operation is unplaced, so its return entry stops the walk first.
     */
    private boolean entryIsCall(int mainEntry) {
        Invariants.check(mainEntry != mainHead, "main list walk wrapped around in partition %s", label);
        return entryIsCall[mainEntry];
    }

    /** Finds R for the current lists and points the walk at the first pending candidate. */
    private void startConfiguration() {
        int walk = next[mainHead];
        // Some completed operation is unplaced, so its return entry ends this walk.
        while (entryIsCall[walk]) {
            walk = next[walk];
        }
        limitRank = rank[walk];
        cursor = next[pendingHead];
        inPendingList = true;
    }

    /**
     * Places the operation of {@code callEntry} next if the model allows it and no finished
     * configuration covers the one it leads to.
     */
    private boolean tryPlace(int callEntry) {
        int index = entryOperation[callEntry];
        Operation<I, O> operation = operations.get(index);
        S after = pending[index]
                ? model.stepPending(state, operation.input())
                : model.step(state, operation.input(), operation.output());
        if (after == null) {
            return false;
        }
        // Placing a pending operation that changes nothing gains nothing: leaving it unplaced
        // reaches the same state and keeps the option of placing it later.
        if (pending[index] && after.equals(state)) {
            return false;
        }
        if (overwritesLastPending(operation, index, after)) {
            return false;
        }
        LongBits placed = pending[index] ? pendingPlaced : completedPlaced;
        Invariants.check(!placed.get(placedBit[index]), "operation %s placed twice", operation);
        placed.set(placedBit[index]);
        if (coveredByFinished(after, pending[index] ? index : Configuration.NO_PENDING)) {
            placed.clear(placedBit[index]);
            return false;
        }
        stackEntries[depth] = callEntry;
        stackLimitRanks[depth] = limitRank;
        stackStatesBefore.add(state);
        depth++;
        lift(callEntry);
        state = after;
        completedUnplaced -= pending[index] ? 0 : 1;
        return true;
    }

    /**
     * Whether the last placed operation is pending and the operation {@code index}, which leads
     * to {@code after}, would lead there from the state before it too: then the pending one was
     * wasted, and the same order without it is explored from the configuration before it.
     */
    private boolean overwritesLastPending(Operation<I, O> operation, int index, S after) {
        if (depth == 0 || !pending[entryOperation[stackEntries[depth - 1]]]) {
            return false;
        }
        S beforeLastPending = stackStatesBefore.get(depth - 1);
        S withoutLastPending = pending[index]
                ? model.stepPending(beforeLastPending, operation.input())
                : model.step(beforeLastPending, operation.input(), operation.output());
        return after.equals(withoutLastPending);
    }

    /**
     * Whether a finished configuration covers the one that placing {@code lastPending} (or a
     * completed operation, if NO_PENDING) leads to, with the placed sets already updated: one
     * that ended in no pending operation, or in the same one from the same state, with the same
     * C and state and a subset of P.
     */
    private boolean coveredByFinished(S candidateState, int lastPending) {
        long[] completed = completedPlaced.compact();
        if (containsSubsetOfPending(finished.get(new Configuration<>(completed, candidateState)))) {
            return true;
        }
        return lastPending != Configuration.NO_PENDING
                && containsSubsetOfPending(finished.get(
                        new Configuration<>(completed, candidateState, lastPending, state)));
    }

    private boolean containsSubsetOfPending(List<long[]> pendingSets) {
        if (pendingSets == null) {
            return false;
        }
        long[] current = pendingPlaced.words();
        for (long[] pendingSet : pendingSets) {
            if (LongBits.isSubset(pendingSet, current)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Records the current configuration as finished, undoes the last placement and resumes the
     * walk just after it, in the list it came from.
     */
    private void backtrack() {
        remember();
        depth--;
        int callEntry = stackEntries[depth];
        int index = entryOperation[callEntry];
        state = stackStatesBefore.remove(depth);
        unlift(callEntry);
        if (pending[index]) {
            pendingPlaced.clear(placedBit[index]);
        } else {
            completedPlaced.clear(placedBit[index]);
            completedUnplaced++;
        }
        // Unlifting restored the lists, so R, and with it the limit, is what it was then.
        cursor = next[callEntry];
        inPendingList = pending[index];
        limitRank = stackLimitRanks[depth];
    }

    /** Adds the current configuration to the memo, dropping the sets it makes redundant. */
    private void remember() {
        int lastPlaced = entryOperation[stackEntries[depth - 1]];
        Configuration<S> key = pending[lastPlaced]
                ? new Configuration<>(completedPlaced.compact(), state, lastPlaced, stackStatesBefore.get(depth - 1))
                : new Configuration<>(completedPlaced.compact(), state);
        List<long[]> pendingSets = finished.computeIfAbsent(key, unused -> new ArrayList<>(1));
        long[] current = pendingPlaced.snapshot();
        pendingSets.removeIf(pendingSet -> LongBits.isSubset(current, pendingSet));
        pendingSets.add(current);
    }

    private void lift(int callEntry) {
        unlink(callEntry);
        if (returnEntry[callEntry] != NO_ENTRY) {
            unlink(returnEntry[callEntry]);
        }
    }

    /** Relinks in the reverse order of {@link #lift}, which restores the list exactly. */
    private void unlift(int callEntry) {
        if (returnEntry[callEntry] != NO_ENTRY) {
            relink(returnEntry[callEntry]);
        }
        relink(callEntry);
    }

    private void unlink(int entry) {
        next[prev[entry]] = next[entry];
        prev[next[entry]] = prev[entry];
    }

    /** Valid only while the neighbours {@code entry} remembers are linked as when it was unlinked. */
    private void relink(int entry) {
        next[prev[entry]] = entry;
        prev[next[entry]] = entry;
    }

    /**
     * Sorts all entries by time into {@link #rank}, links each into its list, and numbers the
     * placed-set bits in call order. At equal times calls come first, so an operation returning at
     * t and one called at t count as concurrent; the operation index breaks the remaining ties
     * so that the search is the same on every run.
     */
    private void buildEntryLists(int entryCount) {
        long[] time = new long[entryCount];
        int entry = 0;
        for (int index = 0; index < operations.size(); index++) {
            Operation<I, O> operation = operations.get(index);
            int call = entry++;
            entryOperation[call] = index;
            entryIsCall[call] = true;
            time[call] = operation.callTime();
            returnEntry[call] = NO_ENTRY;
            if (!pending[index]) {
                int ret = entry++;
                entryOperation[ret] = index;
                entryIsCall[ret] = false;
                time[ret] = operation.returnTime();
                returnEntry[ret] = NO_ENTRY;
                returnEntry[call] = ret;
            }
        }
        Integer[] order = new Integer[entryCount];
        for (int i = 0; i < entryCount; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingLong(e -> time[e])
                .thenComparing(e -> !entryIsCall[e])
                .thenComparingInt(e -> entryOperation[e]));
        int lastMain = mainHead;
        int lastPending = pendingHead;
        int completedBits = 0;
        int pendingBits = 0;
        for (int position = 0; position < entryCount; position++) {
            int current = order[position];
            int index = entryOperation[current];
            rank[current] = position;
            if (entryIsCall[current]) {
                placedBit[index] = pending[index] ? pendingBits++ : completedBits++;
            }
            int last = pending[index] ? lastPending : lastMain;
            next[last] = current;
            prev[current] = last;
            if (pending[index]) {
                lastPending = current;
            } else {
                lastMain = current;
            }
        }
        next[lastMain] = mainHead;
        prev[mainHead] = lastMain;
        next[lastPending] = pendingHead;
        prev[pendingHead] = lastPending;
    }

    /** Remembers the first configuration with the most completed operations placed. */
    private void recordIfDeepest() {
        int placedCompleted = completedCount - completedUnplaced;
        if (placedCompleted <= deepestCompleted) {
            return;
        }
        deepestCompleted = placedCompleted;
        deepestPrefix = new int[depth];
        for (int i = 0; i < depth; i++) {
            deepestPrefix[i] = entryOperation[stackEntries[i]];
        }
        deepestState = state;
        // The completed operations that could go next: call entries before R in the main list.
        // If the search fails, none of them is legal here, or it would have placed more.
        int[] candidates = new int[operations.size()];
        int count = 0;
        int walk = next[mainHead];
        while (walk != mainHead && entryIsCall[walk]) {
            candidates[count++] = entryOperation[walk];
            walk = next[walk];
        }
        Invariants.check(walk != mainHead, "no return entry while %s operations are unplaced", completedUnplaced);
        deepestCandidates = Arrays.copyOf(candidates, count);
        deepestBlocker = entryOperation[walk];
    }

    private CheckResult<I, O> illegal() {
        return new CheckResult.Illegal<>(
                label,
                operationsAt(deepestPrefix),
                String.valueOf(deepestState),
                operationsAt(deepestCandidates),
                operations.get(deepestBlocker),
                steps);
    }

    private List<Operation<I, O>> operationsAt(int[] indices) {
        List<Operation<I, O>> result = new ArrayList<>(indices.length);
        for (int index : indices) {
            result.add(operations.get(index));
        }
        return result;
    }
}
