package io.cairn.compare;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.cli.bench.ErrorKind;
import io.grpc.Status;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.Test;

/** etcd's and ZooKeeper's failures are counted by the same kinds as Cairn's. */
class FailuresTest {
    private static ErrorKind grpc(Status status) {
        return ErrorKind.of(new CompletionException(Failures.ofGrpc(status.asRuntimeException(), "127.0.0.1:2379")));
    }

    private static ErrorKind zooKeeper(Throwable t) {
        return ErrorKind.of(Failures.ofZooKeeper(new CompletionException(t), "127.0.0.1:2181"));
    }

    @Test
    void aLostCompareAndSetIsAConflictNotAnError() {
        assertThat(ErrorKind.of(new CompletionException(Failures.casConflict(3)))).isEqualTo(ErrorKind.CAS_CONFLICT);
        assertThat(ErrorKind.of(Failures.casConflict(Failures.VERSION_UNKNOWN))).isEqualTo(ErrorKind.CAS_CONFLICT);
    }

    @Test
    void etcdDeadlinesAreTimeoutsAndUnavailableIsUnavailable() {
        assertThat(grpc(Status.DEADLINE_EXCEEDED)).isEqualTo(ErrorKind.TIMEOUT);
        assertThat(grpc(Status.UNAVAILABLE.withDescription("etcdserver: leader changed"))).isEqualTo(ErrorKind.UNAVAILABLE);
        assertThat(grpc(Status.INVALID_ARGUMENT)).isEqualTo(ErrorKind.OTHER);
        assertThat(grpc(Status.RESOURCE_EXHAUSTED)).isEqualTo(ErrorKind.OTHER);
    }

    @Test
    void zooKeeperTimeoutsConnectionLossAndOtherFailures() {
        assertThat(zooKeeper(new TimeoutException())).isEqualTo(ErrorKind.TIMEOUT);
        assertThat(zooKeeper(KeeperException.create(KeeperException.Code.CONNECTIONLOSS))).isEqualTo(ErrorKind.UNAVAILABLE);
        assertThat(zooKeeper(KeeperException.create(KeeperException.Code.SESSIONEXPIRED))).isEqualTo(ErrorKind.UNAVAILABLE);
        assertThat(zooKeeper(KeeperException.create(KeeperException.Code.NOAUTH))).isEqualTo(ErrorKind.OTHER);
        assertThat(zooKeeper(Failures.casConflict(0))).isEqualTo(ErrorKind.CAS_CONFLICT);
    }
}
