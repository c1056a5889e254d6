package io.cairn.server;

import io.cairn.api.proto.ShardReport;
import io.cairn.placement.Topology;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * This node's current {@link Topology} and the shard leaders' last reports, as the metadata group
 * last told it. Any thread reads; the heartbeat thread installs newer versions. A topology only
 * replaces an older epoch, so a late answer never moves the node backwards.
 */
final class ClusterMap {
    private volatile Topology topology;
    private volatile List<ShardReport> reports = List.of();
    private volatile ShardReport metaReport;
    private final CopyOnWriteArrayList<Consumer<Topology>> listeners = new CopyOnWriteArrayList<>();

    ClusterMap(Topology initial) {
        this.topology = initial;
    }

    Topology current() {
        return topology;
    }

    /** The newest report of each shard's leader (from the metadata leader), in shard order. */
    List<ShardReport> reports() {
        return reports;
    }

    void onChange(Consumer<Topology> listener) {
        listeners.add(listener);
    }

    void updateReports(List<ShardReport> shardReports, ShardReport meta) {
        reports = List.copyOf(shardReports);
        metaReport = meta;
    }

    /** The metadata group as its leader last reported it, or null. */
    ShardReport metaReport() {
        return metaReport;
    }

    /** Installs {@code next} if it is newer; returns whether it was. */
    synchronized boolean update(Topology next) {
        if (next.epoch <= topology.epoch) {
            return false;
        }
        topology = next;
        for (Consumer<Topology> l : listeners) {
            l.accept(next);
        }
        return true;
    }
}
