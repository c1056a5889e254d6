package io.cairn.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cairn.compare.etcd.proto.Compare;
import io.cairn.compare.etcd.proto.LeaseGrantRequest;
import io.cairn.compare.etcd.proto.LeaseGrantResponse;
import io.cairn.compare.etcd.proto.LeaseKeepAliveRequest;
import io.cairn.compare.etcd.proto.LeaseKeepAliveResponse;
import io.cairn.compare.etcd.proto.LeaseRevokeRequest;
import io.cairn.compare.etcd.proto.LockResponse;
import io.cairn.compare.etcd.proto.RangeRequest;
import io.cairn.compare.etcd.proto.RangeResponse;
import io.cairn.compare.etcd.proto.TxnRequest;
import io.cairn.compare.etcd.proto.TxnResponse;
import io.cairn.compare.etcd.proto.UnlockRequest;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Our etcd messages against bytes worked out by hand from the field numbers of etcd's
 * rpc.proto, kv.proto and v3lock.proto: a wrong number here would send etcd a different request.
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

    @Test
    void lockIsNameOneLeaseTwoAndUnlockIsKeyOne() {
        assertThat(HEX.formatHex(EtcdTarget.lockRequest(K, 5).toByteArray())).isEqualTo("0a016b" + "1005");
        assertThat(HEX.formatHex(UnlockRequest.newBuilder().setKey(ByteString.copyFrom(K)).build().toByteArray()))
                .isEqualTo("0a016b");
    }

    @Test
    void aLockAnswerCarriesTheHeaderRevisionAndTheOwnershipKey() throws Exception {
        // header = 1: {cluster_id = 1: 7, revision = 3: 42}; key = 2: "k/1".
        LockResponse granted = LockResponse.parseFrom(HEX.parseHex("0a04" + "0807" + "182a" + "1203" + "6b2f31"));
        assertThat(granted.getHeader().getRevision()).isEqualTo(42);
        assertThat(granted.getKey().toStringUtf8()).isEqualTo("k/1");
    }

    @Test
    void theFencedPutHoldsOnlyWhileTheOwnershipKeyHasACreateRevisionUpToTheGrant() throws Exception {
        LockResponse granted = LockResponse.parseFrom(HEX.parseHex("0a02" + "182a" + "1201" + "4c"));
        TxnRequest txn = EtcdTarget.fencedPutRequest(granted, K, V);
        // compare = 1: {result = 1: GREATER (1), target = 2: CREATE (1), key = 3: "L", create_revision = 5: 0};
        // compare = 1: {result LESS (2), target CREATE, key "L", create_revision 43 (0x2b)};
        // success = 2: {request_put = 2: {key, value}}; no failure branch.
        assertThat(HEX.formatHex(txn.toByteArray()))
                .isEqualTo("0a09" + "0801" + "1001" + "1a014c" + "2800"
                        + "0a09" + "0802" + "1001" + "1a014c" + "282b"
                        + "1208" + "1206" + "0a016b120176");
        Compare first = TxnRequest.parseFrom(txn.toByteArray()).getCompare(0);
        assertThat(first.getTargetUnionCase()).isEqualTo(Compare.TargetUnionCase.CREATE_REVISION);
    }

    @Test
    void leasesAreTtlOneIdTwoInRequestsAndIdTwoTtlThreeInAnswers() throws Exception {
        assertThat(HEX.formatHex(LeaseGrantRequest.newBuilder().setTtl(10).build().toByteArray())).isEqualTo("080a");
        assertThat(HEX.formatHex(LeaseKeepAliveRequest.newBuilder().setId(300).build().toByteArray()))
                .isEqualTo("08ac02");
        assertThat(HEX.formatHex(LeaseRevokeRequest.newBuilder().setId(300).build().toByteArray()))
                .isEqualTo("08ac02");
        // header = 1: {revision = 3: 1}; ID = 2: 300; TTL = 3: 10.
        assertThat(EtcdTarget.grantedLease(LeaseGrantResponse.parseFrom(HEX.parseHex("0a021801" + "10ac02" + "180a"))))
                .isEqualTo(300);
        // error = 4: "no".
        assertThatThrownBy(() -> EtcdTarget.grantedLease(LeaseGrantResponse.parseFrom(HEX.parseHex("2202" + "6e6f"))))
                .hasMessageContaining("no");
        LeaseKeepAliveResponse alive = LeaseKeepAliveResponse.parseFrom(HEX.parseHex("0a021801" + "10ac02" + "1809"));
        assertThat(alive.getId()).isEqualTo(300);
        assertThat(alive.getTtl()).isEqualTo(9);
    }
}
