package io.cairn.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cairn.compare.etcd.proto.Compare;
import io.cairn.compare.etcd.proto.RangeRequest;
import io.cairn.compare.etcd.proto.RangeResponse;
import io.cairn.compare.etcd.proto.TxnRequest;
import io.cairn.compare.etcd.proto.TxnResponse;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Our etcd messages against bytes worked out by hand from the field numbers of etcd's
 * rpc.proto and kv.proto: a wrong number here would send etcd a different request.
 */
class EtcdRequestsTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] K = "k".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V = "v".getBytes(StandardCharsets.US_ASCII);

    @Test
    void putIsKeyOneValueTwo() {
        assertThat(HEX.formatHex(EtcdTarget.putRequest(K, V).toByteArray())).isEqualTo("0a016b120176");
    }

    @Test
    void rangeSetsSerializableOnlyForEventualReads() {
        // key = 1; serializable = 7 (a varint: tag 0x38).
        assertThat(HEX.formatHex(EtcdTarget.getRequest(K, true).toByteArray())).isEqualTo("0a016b3801");
        assertThat(HEX.formatHex(EtcdTarget.getRequest(K, false).toByteArray())).isEqualTo("0a016b");
    }

    @Test
    void scanIsAHalfOpenRangeToTheEndOfTheBenchKeysWithALimit() {
        // key = 1, range_end = 2 ("bench0"), limit = 3, serializable = 7.
        assertThat(HEX.formatHex(EtcdTarget.scanRequest(K, 10, true).toByteArray()))
                .isEqualTo("0a016b" + "1206" + HEX.formatHex("bench0".getBytes(StandardCharsets.US_ASCII))
                        + "180a" + "3801");
        assertThatThrownBy(() -> EtcdTarget.scanRequest(K, 0, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void compareAndSetIsATxnOnTheVersionThatPutsOrElseReads() throws Exception {
        TxnRequest txn = EtcdTarget.compareAndSetRequest(K, 0, V);
        // compare = 1: {key = 3, version = 4 set to 0 (a oneof member is sent even at 0);
        //   result EQUAL and target VERSION are both 0, proto3's defaults, so not sent};
        // success = 2: {request_put = 2: {key, value}}; failure = 3: {request_range = 1: {key}}.
        assertThat(HEX.formatHex(txn.toByteArray()))
                .isEqualTo("0a05" + "1a016b" + "2000"
                        + "1208" + "1206" + "0a016b120176"
                        + "1a05" + "0a03" + "0a016b");
        TxnRequest parsed = TxnRequest.parseFrom(txn.toByteArray());
        assertThat(parsed).isEqualTo(txn);
        Compare compare = parsed.getCompare(0);
        assertThat(compare.getTargetUnionCase()).isEqualTo(Compare.TargetUnionCase.VERSION);
        assertThat(compare.getResult()).isEqualTo(Compare.CompareResult.EQUAL);
        assertThat(compare.getTarget()).isEqualTo(Compare.CompareTarget.VERSION);

        TxnRequest seventh = EtcdTarget.compareAndSetRequest(K, 7, V);
        assertThat(TxnRequest.parseFrom(seventh.toByteArray()).getCompare(0).getVersion()).isEqualTo(7);
        assertThatThrownBy(() -> EtcdTarget.compareAndSetRequest(K, -1, V)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFailedTxnTellsTheVersionItFoundThroughItsRange() throws Exception {
        // header = 1 (not declared here: kept as an unknown field), succeeded = 2 absent (false),
        // responses = 3: {response_range = 1: {kvs = 2: {key = 1, version = 4: 3}}}.
        byte[] wire = HEX.parseHex("0a0408011002" + "1a09" + "0a07" + "1205" + "0a016b" + "2003");
        TxnResponse response = TxnResponse.parseFrom(wire);
        assertThat(response.getSucceeded()).isFalse();
        assertThat(EtcdTarget.currentVersionOf(response)).isEqualTo(3);
        assertThat(EtcdTarget.currentVersionOf(TxnResponse.getDefaultInstance())).isEqualTo(Failures.VERSION_UNKNOWN);
    }

    @Test
    void anAbsentKeyIsVersionZero() throws Exception {
        assertThat(EtcdTarget.versionOf(RangeResponse.getDefaultInstance())).isZero();
        // kvs = 2: {key = 1, version = 4: 5}.
        assertThat(EtcdTarget.versionOf(RangeResponse.parseFrom(HEX.parseHex("1205" + "0a016b" + "2005")))).isEqualTo(5);
        assertThat(RangeRequest.parseFrom(HEX.parseHex("0a016b3801")).getSerializable()).isTrue();
    }
}
