package io.cairn.sim.elle;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Finds the anomalies of Adya's hierarchy in a list-append history, as Elle does: because every
 * append is unique and a read returns a whole list, the lists give each key's version order,
 * and from it the dependencies between transactions:
 * <ul>
 *   <li>ww: T1 appended the element right before T2's in a key's order;</li>
 *   <li>wr: T2 read a list whose last element T1 appended;</li>
 *   <li>rw: T1 read a list, and T2 appended the element that comes next in that key's order.</li>
 * </ul>
 * A cycle of ww edges only is G0 (write cycle), of ww and wr G1c (circular information flow),
 * any cycle with an rw edge G2 (anti-dependency cycle, write skew among them). Besides cycles:
 * G1a (a committed read saw an element of an aborted transaction), G1b (a read saw a
 * transaction's element that was not its last to the key), and incompatible orders (two reads of
 * a key neither of which is a prefix of the other, or an element twice). Serializability allows
 * none of them. Real-time order is not used: this checks serializability, not strictness.
 */
public final class ListAppendCheck {
    /** One anomaly: its name (G0, G1a, G1b, G1c, G2, incompatible-order) and what shows it. */
    public record Anomaly(String type, String detail) {
        @Override
        public String toString() {
            return type + ": " + detail;
        }
    }

    private enum Dep { WW, WR, RW }

    private record Edge(int to, Dep dep, String key) {}

    private ListAppendCheck() {}

    public static List<Anomaly> check(List<ListTxn> history) {
        List<Anomaly> anomalies = new ArrayList<>();
        Map<String, Map<Long, ListTxn>> appendedBy = new TreeMap<>();
        Map<String, Map<Long, Integer>> appendIndexInTxn = new HashMap<>();
        for (ListTxn t : history) {
            Map<String, Integer> appendsSoFar = new HashMap<>();
            for (ListTxn.Mop m : t.mops()) {
                if (m.append()) {
                    ListTxn earlier = appendedBy.computeIfAbsent(m.key(), k -> new HashMap<>()).put(m.value(), t);
                    if (earlier != null) {
                        throw new IllegalArgumentException("value " + m.value() + " appended twice to " + m.key()
                                + ": the workload must append unique values");
                    }
                    appendIndexInTxn.computeIfAbsent(m.key(), k -> new HashMap<>())
                            .put(m.value(), appendsSoFar.merge(m.key(), 1, Integer::sum));
                }
            }
        }
        Map<String, List<Long>> order = versionOrders(history, anomalies);
        checkReads(history, appendedBy, appendIndexInTxn, anomalies);
        findCycles(history, appendedBy, order, anomalies);
        return anomalies;
    }

    /** Each key's longest committed read; the others must be its prefixes. */
    private static Map<String, List<Long>> versionOrders(List<ListTxn> history, List<Anomaly> anomalies) {
        Map<String, List<Long>> longest = new TreeMap<>();
        for (ListTxn t : history) {
            if (t.outcome() != ListTxn.Outcome.OK) {
                continue;
            }
            for (ListTxn.Mop m : t.mops()) {
                if (!m.append()) {
                    if (m.read().size() != m.read().stream().distinct().count()) {
                        anomalies.add(new Anomaly("incompatible-order", "T" + t.id() + " read " + m.key()
                                + " with an element twice: " + m.read()));
                    }
                    longest.merge(m.key(), m.read(), (a, b) -> a.size() >= b.size() ? a : b);
                }
            }
        }
        for (ListTxn t : history) {
            if (t.outcome() != ListTxn.Outcome.OK) {
                continue;
            }
            for (ListTxn.Mop m : t.mops()) {
                if (!m.append()) {
                    List<Long> full = longest.get(m.key());
                    if (!full.subList(0, m.read().size()).equals(m.read())) {
                        anomalies.add(new Anomaly("incompatible-order", "T" + t.id() + " read " + m.key() + "="
                                + m.read() + ", not a prefix of another read " + full));
                    }
                }
            }
        }
        return longest;
    }

    private static void checkReads(List<ListTxn> history, Map<String, Map<Long, ListTxn>> appendedBy,
                                   Map<String, Map<Long, Integer>> appendIndexInTxn, List<Anomaly> anomalies) {
        for (ListTxn t : history) {
            if (t.outcome() != ListTxn.Outcome.OK) {
                continue;
            }
            for (ListTxn.Mop m : t.mops()) {
                if (m.append()) {
                    continue;
                }
                for (long v : m.read()) {
                    ListTxn writer = appendedBy.getOrDefault(m.key(), Map.of()).get(v);
                    if (writer == null) {
                        anomalies.add(new Anomaly("G1a", "T" + t.id() + " read " + m.key() + "=" + m.read()
                                + ", holding " + v + " which nobody appended"));
                    } else if (writer.outcome() == ListTxn.Outcome.FAILED) {
                        anomalies.add(new Anomaly("G1a", "T" + t.id() + " read " + m.key() + "=" + m.read()
                                + ", holding " + v + " appended by aborted T" + writer.id()));
                    }
                }
                if (!m.read().isEmpty()) {
                    long last = m.read().get(m.read().size() - 1);
                    ListTxn writer = appendedBy.getOrDefault(m.key(), Map.of()).get(last);
                    if (writer != null && writer != t) {
                        int index = appendIndexInTxn.get(m.key()).get(last);
                        long appendsToKey = writer.mops().stream().filter(x -> x.append() && x.key().equals(m.key())).count();
                        if (index < appendsToKey) {
                            anomalies.add(new Anomaly("G1b", "T" + t.id() + " read " + m.key() + "=" + m.read()
                                    + ", ending at T" + writer.id() + "'s intermediate element " + last));
                        }
                    }
                }
            }
        }
    }

    private static void findCycles(List<ListTxn> history, Map<String, Map<Long, ListTxn>> appendedBy,
                                   Map<String, List<Long>> order, List<Anomaly> anomalies) {
        // Nodes: committed transactions, and those of unknown outcome whose appends were seen.
        Map<ListTxn, Integer> node = new HashMap<>();
        List<ListTxn> nodes = new ArrayList<>();
        for (ListTxn t : history) {
            if (t.outcome() == ListTxn.Outcome.OK || t.outcome() == ListTxn.Outcome.INFO && observed(t, order)) {
                node.put(t, nodes.size());
                nodes.add(t);
            }
        }
        List<List<Edge>> edges = new ArrayList<>();
        nodes.forEach(n -> edges.add(new ArrayList<>()));
        for (Map.Entry<String, List<Long>> e : order.entrySet()) {
            List<Long> versions = e.getValue();
            for (int i = 0; i + 1 < versions.size(); i++) {
                addEdge(edges, node, appendedBy.get(e.getKey()).get(versions.get(i)),
                        appendedBy.get(e.getKey()).get(versions.get(i + 1)), Dep.WW, e.getKey());
            }
        }
        for (ListTxn t : nodes) {
            if (t.outcome() != ListTxn.Outcome.OK) {
                continue;
            }
            for (ListTxn.Mop m : t.mops()) {
                if (m.append()) {
                    continue;
                }
                Map<Long, ListTxn> writers = appendedBy.getOrDefault(m.key(), Map.of());
                if (!m.read().isEmpty()) {
                    addEdge(edges, node, writers.get(m.read().get(m.read().size() - 1)), t, Dep.WR, m.key());
                }
                List<Long> versions = order.getOrDefault(m.key(), List.of());
                if (m.read().size() < versions.size()) {
                    addEdge(edges, node, t, writers.get(versions.get(m.read().size())), Dep.RW, m.key());
                }
            }
        }
        classify(nodes, edges, anomalies);
    }

    private static boolean observed(ListTxn t, Map<String, List<Long>> order) {
        for (ListTxn.Mop m : t.mops()) {
            if (m.append() && order.getOrDefault(m.key(), List.of()).contains(m.value())) {
                return true;
            }
        }
        return false;
    }

    private static void addEdge(List<List<Edge>> edges, Map<ListTxn, Integer> node, ListTxn from, ListTxn to, Dep dep,
                                String key) {
        Integer f = from == null ? null : node.get(from);
        Integer t = to == null ? null : node.get(to);
        if (f != null && t != null && !f.equals(t)) {
            edges.get(f).add(new Edge(t, dep, key));
        }
    }

    /** The strongest anomaly per strongly connected component: G0 before G1c before G2. */
    private static void classify(List<ListTxn> nodes, List<List<Edge>> edges, List<Anomaly> anomalies) {
        for (List<Integer> component : components(edges, EnumSet.allOf(Dep.class))) {
            Set<Integer> members = Set.copyOf(component);
            for (var kind : List.of(Map.entry("G0", EnumSet.of(Dep.WW)), Map.entry("G1c", EnumSet.of(Dep.WW, Dep.WR)),
                    Map.entry("G2", EnumSet.allOf(Dep.class)))) {
                List<Edge> cycle = cycleWithin(members, edges, kind.getValue());
                if (cycle != null) {
                    anomalies.add(new Anomaly(kind.getKey(), describe(nodes, cycle)));
                    break;
                }
            }
        }
    }

    /** Strongly connected components of more than one node, using only edges of {@code deps} (Tarjan, iterative). */
    private static List<List<Integer>> components(List<List<Edge>> edges, Set<Dep> deps) {
        int n = edges.size();
        int[] index = new int[n];
        int[] low = new int[n];
        boolean[] onStack = new boolean[n];
        java.util.Arrays.fill(index, -1);
        Deque<Integer> stack = new ArrayDeque<>();
        List<List<Integer>> out = new ArrayList<>();
        int counter = 0;
        for (int root = 0; root < n; root++) {
            if (index[root] >= 0) {
                continue;
            }
            Deque<int[]> work = new ArrayDeque<>(); // {node, next edge}
            work.push(new int[] {root, 0});
            index[root] = low[root] = counter++;
            stack.push(root);
            onStack[root] = true;
            while (!work.isEmpty()) {
                int[] frame = work.peek();
                int v = frame[0];
                List<Edge> out0 = edges.get(v);
                if (frame[1] < out0.size()) {
                    Edge e = out0.get(frame[1]++);
                    if (!deps.contains(e.dep())) {
                        continue;
                    }
                    if (index[e.to()] < 0) {
                        index[e.to()] = low[e.to()] = counter++;
                        stack.push(e.to());
                        onStack[e.to()] = true;
                        work.push(new int[] {e.to(), 0});
                    } else if (onStack[e.to()]) {
                        low[v] = Math.min(low[v], index[e.to()]);
                    }
                    continue;
                }
                work.pop();
                if (!work.isEmpty()) {
                    int parent = work.peek()[0];
                    low[parent] = Math.min(low[parent], low[v]);
                }
                if (low[v] == index[v]) {
                    List<Integer> component = new ArrayList<>();
                    int w;
                    do {
                        w = stack.pop();
                        onStack[w] = false;
                        component.add(w);
                    } while (w != v);
                    if (component.size() > 1) {
                        out.add(component);
                    }
                }
            }
        }
        return out;
    }

    /** A shortest cycle among {@code members} using only {@code deps} edges, or null (breadth-first from each member). */
    private static List<Edge> cycleWithin(Set<Integer> members, List<List<Edge>> edges, Set<Dep> deps) {
        for (int start : new java.util.TreeSet<>(members)) {
            Map<Integer, Edge> via = new HashMap<>();
            Map<Integer, Integer> parent = new HashMap<>();
            Deque<Integer> queue = new ArrayDeque<>(List.of(start));
            while (!queue.isEmpty()) {
                int v = queue.poll();
                for (Edge e : edges.get(v)) {
                    if (!deps.contains(e.dep()) || !members.contains(e.to())) {
                        continue;
                    }
                    if (e.to() == start) {
                        List<Edge> cycle = new ArrayList<>();
                        cycle.add(e);
                        for (int at = v; at != start; at = parent.get(at)) {
                            cycle.add(0, via.get(at));
                        }
                        return cycle;
                    }
                    if (!parent.containsKey(e.to())) {
                        parent.put(e.to(), v);
                        via.put(e.to(), e);
                        queue.add(e.to());
                    }
                }
            }
        }
        return null;
    }

    private static String describe(List<ListTxn> nodes, List<Edge> cycle) {
        StringBuilder sb = new StringBuilder();
        // The cycle's first edge leaves the node its last edge enters.
        sb.append('T').append(nodes.get(cycle.get(cycle.size() - 1).to()).id());
        for (Edge e : cycle) {
            sb.append(" -").append(e.dep().name().toLowerCase()).append('(').append(e.key()).append(")-> T")
                    .append(nodes.get(e.to()).id());
        }
        return sb.toString();
    }
}
