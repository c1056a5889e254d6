package io.cairn.sim.lin;

import java.util.List;

/**
 * The definition of linearizability, checked by trying every order: an oracle for tiny
 * histories. An operation may go next when no unplaced completed operation returned before it
 * was called; pending operations may go anywhere after their call, or nowhere.
 */
final class BruteForceLinearizability {
    private BruteForceLinearizability() {}

    /** Whether every partition of {@code history} (the model's states are per partition) has an order. */
    static <S, I, O> boolean isLinearizable(Model<S, I, O> model, List<Operation<I, O>> history) {
        for (Partition<I, O> partition : model.partition(history)) {
            List<Operation<I, O>> operations = partition.operations();
            if (!search(model, operations, new boolean[operations.size()], model.initialState())) {
                return false;
            }
        }
        return true;
    }

    private static <S, I, O> boolean search(
            Model<S, I, O> model, List<Operation<I, O>> history, boolean[] placed, S state) {
        if (allCompletedPlaced(history, placed)) {
            return true;
        }
        for (int i = 0; i < history.size(); i++) {
            if (placed[i] || !mayGoNext(history, placed, i)) {
                continue;
            }
            Operation<I, O> operation = history.get(i);
            S after = operation.isPending()
                    ? model.stepPending(state, operation.input())
                    : model.step(state, operation.input(), operation.output());
            if (after == null) {
                continue;
            }
            placed[i] = true;
            boolean found = search(model, history, placed, after);
            placed[i] = false;
            if (found) {
                return true;
            }
        }
        return false;
    }

    private static <I, O> boolean mayGoNext(List<Operation<I, O>> history, boolean[] placed, int candidate) {
        for (int j = 0; j < history.size(); j++) {
            boolean mustPrecede = !placed[j] && history.get(j).returnTime() < history.get(candidate).callTime();
            if (mustPrecede) {
                return false;
            }
        }
        return true;
    }

    private static <I, O> boolean allCompletedPlaced(List<Operation<I, O>> history, boolean[] placed) {
        for (int i = 0; i < history.size(); i++) {
            if (!placed[i] && !history.get(i).isPending()) {
                return false;
            }
        }
        return true;
    }
}
