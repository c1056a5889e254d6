package io.cairn.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.api.proto.ErrorDetail;
import io.cairn.common.NodeId;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

class GrpcErrorsTest {
    @Test
    void notLeaderCarriesTheHintUnderUnavailable() {
        StatusRuntimeException e = GrpcErrors.notLeader(NodeId.of(3), "127.0.0.1:7403");
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        ErrorDetail detail = GrpcErrors.detailOf(e).orElseThrow();
        assertThat(detail.getNotLeader().getLeaderId()).isEqualTo(3);
        assertThat(detail.getNotLeader().getLeaderAddress()).isEqualTo("127.0.0.1:7403");
    }

    @Test
    void unknownLeaderIsZero() {
        ErrorDetail detail = GrpcErrors.detailOf(GrpcErrors.notLeader(null, null)).orElseThrow();
        assertThat(detail.getKindCase()).isEqualTo(ErrorDetail.KindCase.NOT_LEADER);
        assertThat(detail.getNotLeader().getLeaderId()).isZero();
        assertThat(detail.getNotLeader().getLeaderAddress()).isEmpty();
    }

    @Test
    void eachKindHasItsStatusCode() {
        assertThat(GrpcErrors.unavailable("no quorum").getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        StatusRuntimeException tooBig = GrpcErrors.invalidArgument("value", 1 << 20, 5 << 20);
        assertThat(tooBig.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(GrpcErrors.detailOf(tooBig).orElseThrow().getInvalidArgument().getValue()).isEqualTo(5 << 20);
        StatusRuntimeException stale = GrpcErrors.preconditionFailed(7);
        assertThat(stale.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(GrpcErrors.detailOf(stale).orElseThrow().getPreconditionFailed().getCurrentVersion()).isEqualTo(7);
    }

    @Test
    void plainStatusHasNoDetail() {
        assertThat(GrpcErrors.detailOf(Status.INTERNAL.asRuntimeException())).isEmpty();
        assertThat(GrpcErrors.detailOf(new IllegalStateException())).isEmpty();
    }
}
