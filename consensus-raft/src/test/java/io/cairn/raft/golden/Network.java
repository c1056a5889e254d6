package io.cairn.raft.golden;

import io.cairn.common.NodeId;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.raft.RaftMessage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Messages sent but not yet delivered, in send order, and the links that are cut. Nothing is
 * delivered until the script says so; a message on a cut link is dropped when its turn to be
 * delivered comes (so healing before delivery lets it through, as a late packet would).
 */
final class Network {
    private record Link(long from, long to) {}

    private final List<RaftMessage> queue = new ArrayList<>();
    private final Set<Link> cut = new TreeSet<>(Comparator.comparingLong(Link::from).thenComparingLong(Link::to));

    void send(List<ConsensusMessage> messages) {
        for (ConsensusMessage m : messages) {
            queue.add((RaftMessage) m);
        }
    }

    /** Removes and returns, in send order, the queued messages to {@code to} that pass the filter. */
    List<RaftMessage> take(NodeId to, Predicate<RaftMessage> filter) {
        List<RaftMessage> out = new ArrayList<>();
        for (Iterator<RaftMessage> it = queue.iterator(); it.hasNext(); ) {
            RaftMessage m = it.next();
            if (m.to().equals(to) && filter.test(m)) {
                out.add(m);
                it.remove();
            }
        }
        return out;
    }

    boolean hasMessagesFor(NodeId to) {
        return queue.stream().anyMatch(m -> m.to().equals(to));
    }

    boolean isCut(RaftMessage m) {
        return cut.contains(new Link(m.from().value(), m.to().value()));
    }

    /** Cuts both directions between every node of {@code a} and every node of {@code b}. */
    void cutBetween(List<Long> a, List<Long> b) {
        for (long x : a) {
            for (long y : b) {
                if (x != y) {
                    cut.add(new Link(x, y));
                    cut.add(new Link(y, x));
                }
            }
        }
    }

    void heal() {
        cut.clear();
    }
}
