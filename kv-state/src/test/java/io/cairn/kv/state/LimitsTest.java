package io.cairn.kv.state;

import static io.cairn.kv.state.TestLog.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.common.Bytes;
import org.junit.jupiter.api.Test;

class LimitsTest {
    private final Limits limits = Limits.DEFAULT;

    @Test
    void defaultsAreFourKibKeysOneMibValuesAndTenThousandScanned() {
        assertThat(limits).isEqualTo(new Limits(4096, 1024 * 1024, 10_000));
    }

    @Test
    void keysAtTheLimitPassAndOneByteMoreFailNamingLimitAndSize() {
        assertThatCode(() -> limits.checkKey(Bytes.wrap(new byte[4096]))).doesNotThrowAnyException();
        assertThatThrownBy(() -> limits.checkKey(Bytes.wrap(new byte[4097])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key is 4097 bytes, over the limit keyBytesMax=4096");
        assertThatThrownBy(() -> limits.checkKey(Bytes.EMPTY)).hasMessageContaining("empty");
    }

    @Test
    void valuesAtTheLimitPassAndOneByteMoreFail() {
        assertThatCode(() -> limits.checkValue(Bytes.wrap(new byte[1 << 20]))).doesNotThrowAnyException();
        assertThatThrownBy(() -> limits.checkValue(Bytes.wrap(new byte[(1 << 20) + 1])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("value is 1048577 bytes, over the limit valueBytesMax=1048576");
    }

    @Test
    void ttlMustBeNonNegativeAndBounded() {
        assertThatCode(() -> limits.checkTtl(Limits.TTL_MILLIS_MAX)).doesNotThrowAnyException();
        assertThatThrownBy(() -> limits.checkTtl(-1)).hasMessageContaining("-1");
        assertThatThrownBy(() -> limits.checkTtl(Limits.TTL_MILLIS_MAX + 1)).hasMessageContaining("TTL_MILLIS_MAX");
    }

    @Test
    void checkOfACommandReportsTheFirstBrokenLimit() {
        Command cas = new Command.CompareAndSet(Bytes.wrap(new byte[5000]), 0, Bytes.wrap(new byte[2 << 20]), 0);

        assertThatThrownBy(() -> limits.check(cas)).hasMessageContaining("keyBytesMax");
        assertThat(limits.violation(new Command.Put(b("k"), Bytes.wrap(new byte[2 << 20]), 0)))
                .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(RejectReason.VALUE_TOO_LARGE));
        assertThat(limits.violation(new Command.Expire(5))).isEmpty();
    }

    @Test
    void limitsThemselvesMustBePositive() {
        assertThatThrownBy(() -> new Limits(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Limits(1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
