package io.cairn.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.client.CairnException;
import io.cairn.client.CairnUnavailableException;
import io.cairn.client.CasFailedException;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class ErrorKindTest {
    private static CairnUnavailableException unavailableAfter(Throwable last) {
        return new CairnUnavailableException("put failed", List.of("127.0.0.1:1"), last);
    }

    @Test
    void theDeadlinePassingOnRefusalsIsUnavailableAndOnASlowAttemptATimeout() {
        assertThat(ErrorKind.of(unavailableAfter(Status.UNAVAILABLE.asRuntimeException())))
                .isEqualTo(ErrorKind.UNAVAILABLE);
        assertThat(ErrorKind.of(unavailableAfter(Status.DEADLINE_EXCEEDED.asRuntimeException())))
                .isEqualTo(ErrorKind.TIMEOUT);
        // No attempt at all: the request waited for a write session until its deadline.
        assertThat(ErrorKind.of(unavailableAfter(null))).isEqualTo(ErrorKind.TIMEOUT);
    }

    @Test
    void conflictsAndEverythingElseAreToldApartThroughFutureWrappers() {
        assertThat(ErrorKind.of(new CompletionException(new CasFailedException(3)))).isEqualTo(ErrorKind.CAS_CONFLICT);
        assertThat(ErrorKind.of(new CompletionException(unavailableAfter(Status.UNAVAILABLE.asRuntimeException()))))
                .isEqualTo(ErrorKind.UNAVAILABLE);
        assertThat(ErrorKind.of(new CairnException("get failed at n1: INTERNAL"))).isEqualTo(ErrorKind.OTHER);
        assertThat(ErrorKind.of(new IllegalArgumentException("value too large"))).isEqualTo(ErrorKind.OTHER);
        assertThat(ErrorKind.CAS_CONFLICT.isError()).isFalse();
        assertThat(ErrorKind.TIMEOUT.isError()).isTrue();
    }
}
