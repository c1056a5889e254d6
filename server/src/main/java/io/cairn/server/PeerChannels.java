package io.cairn.server;

import io.cairn.client.CairnClient;
import io.cairn.transport.grpc.PeerTransport;
import io.cairn.client.Tls;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How this node dials its peers: plaintext, or TLS presenting its node certificate, so a peer
 * with TLS knows it is talking to a node of the cluster. Every channel a node opens to another
 * (Raft, forwarding, heartbeats, joins, its embedded clients) comes from here.
 */
final class PeerChannels {
    private final ChannelCredentials credentials;
    private final Tls tls;

    PeerChannels(Tls tls) {
        this.tls = tls;
        this.credentials = Tls.channelCredentials(tls);
    }

    /** How this node reads its peers' HTTP side: HTTPS trusting the cluster CA when it has TLS. */
    java.net.http.HttpClient httpClient(Duration connectTimeout) {
        java.net.http.HttpClient.Builder b = java.net.http.HttpClient.newBuilder().connectTimeout(connectTimeout);
        if (tls != null) {
            b.sslContext(tls.sslContext());
        }
        return b.build();
    }

    /** The scheme of every node's HTTP side: all nodes of a cluster have TLS, or none. */
    String httpScheme() {
        return tls == null ? "http" : "https";
    }

    ChannelCredentials credentials() {
        return credentials;
    }

    ManagedChannel open(String address, ClientInterceptor... interceptors) {
        return PeerTransport.channel(address, credentials, interceptors);
    }

    /**
     * A client of the whole cluster, for work a node does on a caller's behalf (cross-shard
     * transactions, the dashboard's status): it routes like any client and calls as a node.
     */
    CairnClient clusterClient(ClusterMap map, Duration requestTimeout) {
        List<String> endpoints = new ArrayList<>();
        map.current().members().values().forEach(m -> {
            if (!m.address().isEmpty()) {
                endpoints.add(m.address());
            }
        });
        return CairnClient.builder().endpoints(endpoints).channelCredentials(credentials).requestTimeout(requestTimeout).build();
    }
}
