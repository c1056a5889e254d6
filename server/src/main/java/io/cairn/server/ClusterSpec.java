package io.cairn.server;

import io.cairn.common.NodeId;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The members of a cluster and their addresses, parsed from {@code n1=host:port,n2=host:port}.
 * A node's name is {@code n<id>}: the number is its permanent id inside the consensus groups,
 * so names stay stable as members come and go.
 */
public record ClusterSpec(SortedMap<NodeId, String> addresses) {
    private static final Pattern NAME = Pattern.compile("n([1-9][0-9]{0,8})");
    private static final Pattern ADDRESS = Pattern.compile("([^:\\s]+):([0-9]{1,5})");

    public ClusterSpec {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("the cluster needs at least one member");
        }
        addresses = Collections.unmodifiableSortedMap(new TreeMap<>(addresses));
    }

    public static ClusterSpec parse(String spec) {
        TreeMap<NodeId, String> members = new TreeMap<>();
        for (String part : spec.split(",")) {
            String item = part.trim();
            if (item.isEmpty()) {
                continue;
            }
            int eq = item.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("cluster member '" + item + "' must look like n1=127.0.0.1:7401");
            }
            NodeId id = parseName(item.substring(0, eq));
            String address = parseAddress(item.substring(eq + 1));
            if (members.put(id, address) != null) {
                throw new IllegalArgumentException("node " + id + " is listed twice in the cluster");
            }
        }
        return new ClusterSpec(members);
    }

    /** Parses a node name {@code n<id>}. */
    public static NodeId parseName(String name) {
        Matcher m = NAME.matcher(name.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("node name '" + name + "' must be n<number>, e.g. n1");
        }
        return NodeId.of(Long.parseLong(m.group(1)));
    }

    /** Checks {@code host:port} and returns it. */
    public static String parseAddress(String address) {
        Matcher m = ADDRESS.matcher(address.trim());
        if (!m.matches() || Integer.parseInt(m.group(2)) > 65535) {
            throw new IllegalArgumentException("address '" + address + "' must be host:port with port 0-65535");
        }
        return address.trim();
    }

    public String address(NodeId id) {
        String a = addresses.get(id);
        if (a == null) {
            throw new IllegalArgumentException("node " + id + " is not in the cluster " + this);
        }
        return a;
    }

    public boolean contains(NodeId id) {
        return addresses.containsKey(id);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        addresses.forEach((id, a) -> sb.append(sb.length() == 0 ? "" : ",").append(id).append('=').append(a));
        return sb.toString();
    }
}
