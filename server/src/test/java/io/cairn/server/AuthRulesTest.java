package io.cairn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.AggregateGrpc;
import io.cairn.api.proto.AuthChangeRequest;
import io.cairn.api.proto.AuthGrpc;
import io.cairn.api.proto.ClusterGrpc;
import io.cairn.api.proto.Compare;
import io.cairn.api.proto.KvGrpc;
import io.cairn.api.proto.LockGrpc;
import io.cairn.api.proto.MultiGetRequest;
import io.cairn.api.proto.Permission;
import io.cairn.api.proto.RaftTransportGrpc;
import io.cairn.api.proto.RolePermission;
import io.cairn.api.proto.ScanRequest;
import io.cairn.api.proto.TxnGrpc;
import io.cairn.api.proto.TxnOp;
import io.cairn.api.proto.TxnPut;
import io.cairn.api.proto.TxnRequest;
import io.cairn.api.proto.UserAdd;
import io.cairn.api.proto.UserRole;
import io.cairn.api.proto.WatchGrpc;
import io.cairn.api.proto.WatchRequest;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rules of authorization as tables: which permission covers which key or range, what each
 * API method asks for, the model's refusals, and tokens. Fast, no cluster.
 */
class AuthRulesTest {
    private static final int ITERATIONS = 1_000;

    private static AuthState withAliceReadingAndWritingApp() {
        AuthState s = AuthState.initial("root-password", ITERATIONS);
        s = s.apply(AuthChangeRequest.newBuilder().setRoleAdd("app").build(), ITERATIONS);
        s = s.apply(grant("app", Permission.Kind.READWRITE, "app/"), ITERATIONS);
        s = s.apply(grant("app", Permission.Kind.READ, "shared/"), ITERATIONS);
        s = s.apply(grant("app", Permission.Kind.LOCK, "jobs/"), ITERATIONS);
        return s.apply(AuthChangeRequest.newBuilder().setUserAdd(UserAdd.newBuilder().setName("alice")
                .setPassword("alice-password").addRoles("app")).build(), ITERATIONS);
    }

    private static AuthChangeRequest grant(String role, Permission.Kind kind, String prefix) {
        return AuthChangeRequest.newBuilder().setRoleGrant(RolePermission.newBuilder().setRole(role)
                .setPermission(Permission.newBuilder().setKind(kind).setPrefix(bytes(prefix)))).build();
    }

    private static ByteString bytes(String s) {
        return ByteString.copyFrom(s, StandardCharsets.UTF_8);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aPrefixCoversExactlyTheKeysStartingWithIt() {
        AuthState s = withAliceReadingAndWritingApp();
        // {user, kind, key, allowed}
        Object[][] table = {
                {"alice", Permission.Kind.WRITE, "app/x", true},
                {"alice", Permission.Kind.READ, "app/x", true},
                {"alice", Permission.Kind.WRITE, "app", false},
                {"alice", Permission.Kind.WRITE, "apq/x", false},
                {"alice", Permission.Kind.READ, "shared/y", true},
                {"alice", Permission.Kind.WRITE, "shared/y", false},
                {"alice", Permission.Kind.LOCK, "jobs/nightly", true},
                {"alice", Permission.Kind.LOCK, "app/x", false},
                {"alice", Permission.Kind.ADMIN, "", false},
                {"root", Permission.Kind.WRITE, "anything", true},
                {"nobody", Permission.Kind.READ, "app/x", false},
        };
        for (Object[] row : table) {
            assertThat(s.allows((String) row[0], (Permission.Kind) row[1], b((String) row[2])))
                    .as("%s %s %s", row[0], row[1], row[2]).isEqualTo(row[3]);
        }
        assertThat(s.isAdmin("root")).isTrue();
        assertThat(s.isAdmin("alice")).isFalse();
    }

    @Test
    void aRangeMustLieInsideOneGrantedPrefix() {
        AuthState s = withAliceReadingAndWritingApp();
        assertThat(s.allowsRange("alice", Permission.Kind.READ, b("app/"), b("app0"))).isTrue();
        assertThat(s.allowsRange("alice", Permission.Kind.READ, b("app/a"), b("app/b"))).isTrue();
        assertThat(s.allowsRange("alice", Permission.Kind.READ, b("app/a"), b("app1"))).isFalse();
        assertThat(s.allowsRange("alice", Permission.Kind.READ, b("app/"), new byte[0])).isFalse();
        assertThat(s.allowsRange("alice", Permission.Kind.READ, b(""), new byte[0])).isFalse();
        assertThat(s.allowsRange("root", Permission.Kind.READ, b(""), new byte[0])).isTrue();
        assertThat(AuthState.prefixEnd(new byte[] {'a', (byte) 0xFF})).containsExactly('b');
        assertThat(AuthState.prefixEnd(new byte[] {(byte) 0xFF})).isEmpty();
    }

    @Test
    void everyMethodOfEveryServiceHasARuleOrIsForNodesOnly() {
        List<ServiceDescriptor> services = List.of(KvGrpc.getServiceDescriptor(), WatchGrpc.getServiceDescriptor(),
                AggregateGrpc.getServiceDescriptor(), TxnGrpc.getServiceDescriptor(), ClusterGrpc.getServiceDescriptor(),
                LockGrpc.getServiceDescriptor(), AuthGrpc.getServiceDescriptor(), RaftTransportGrpc.getServiceDescriptor());
        for (ServiceDescriptor service : services) {
            for (MethodDescriptor<?, ?> m : service.getMethods()) {
                assertThat(AccessRules.ruleOf(m.getFullMethodName())).as(m.getFullMethodName()).isNotNull();
            }
        }
        assertThat(AccessRules.ruleOf("cairn.v1.Kv/NotAMethod")).isNull();
        assertThat(AccessRules.ruleOf(RaftTransportGrpc.getStreamMethod().getFullMethodName()).caller())
                .isEqualTo(AccessRules.Caller.NODE);
        assertThat(AccessRules.ruleOf(ClusterGrpc.getAddNodeMethod().getFullMethodName()).caller())
                .isEqualTo(AccessRules.Caller.ADMIN);
    }

    @Test
    void aRequestTouchingSeveralKeysNeedsThemAllAndIsRefusedByTheFirstMissing() {
        AuthState s = withAliceReadingAndWritingApp();
        TxnRequest txn = TxnRequest.newBuilder()
                .addCompare(Compare.newBuilder().setKey(bytes("shared/config")))
                .addSuccess(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(bytes("app/a"))))
                .addFailure(TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(bytes("shared/config"))))
                .build();
        List<AccessRules.Need> needs = AccessRules.ruleOf(KvGrpc.getTxnMethod().getFullMethodName()).needs().of(txn);
        assertThat(needs).hasSize(3);
        AccessRules.Need missing = AccessRules.firstMissing(s, "alice", needs);
        assertThat(missing.describe()).isEqualTo("write on key shared/config");

        MultiGetRequest get = MultiGetRequest.newBuilder().addKeys(bytes("app/a")).addKeys(bytes("secret")).build();
        assertThat(AccessRules.firstMissing(s, "alice",
                AccessRules.ruleOf(KvGrpc.getMultiGetMethod().getFullMethodName()).needs().of(get)).describe())
                .isEqualTo("read on key secret");
        ScanRequest all = ScanRequest.getDefaultInstance();
        assertThat(AccessRules.firstMissing(s, "alice",
                AccessRules.ruleOf(KvGrpc.getScanMethod().getFullMethodName()).needs().of(all)).describe())
                .isEqualTo("read on every key");
        WatchRequest watch = WatchRequest.newBuilder().setKey(bytes("app/")).setPrefix(true).build();
        assertThat(AccessRules.firstMissing(s, "alice",
                AccessRules.ruleOf(WatchGrpc.getWatchMethod().getFullMethodName()).needs().of(watch))).isNull();
    }

    @Test
    void theModelRefusesWhatWouldLockAdminsOutOrNameNothing() {
        AuthState s = withAliceReadingAndWritingApp();
        assertThatThrownBy(() -> s.apply(AuthChangeRequest.newBuilder().setUserDelete("root").build(), ITERATIONS))
                .hasMessageContaining("root user cannot be deleted");
        assertThatThrownBy(() -> s.apply(AuthChangeRequest.newBuilder().setUserRevoke(
                UserRole.newBuilder().setUser("root").setRole("root")).build(), ITERATIONS))
                .hasMessageContaining("keeps the root role");
        assertThatThrownBy(() -> s.apply(grant("root", Permission.Kind.READ, "x"), ITERATIONS))
                .hasMessageContaining("built in");
        assertThatThrownBy(() -> s.apply(AuthChangeRequest.newBuilder().setUserAdd(UserAdd.newBuilder().setName("bob")
                .setPassword("short")).build(), ITERATIONS)).hasMessageContaining("at least 8");
        assertThatThrownBy(() -> s.apply(AuthChangeRequest.newBuilder().setUserAdd(UserAdd.newBuilder().setName("b o b")
                .setPassword("long-enough")).build(), ITERATIONS)).hasMessageContaining("name");
        assertThatThrownBy(() -> s.apply(AuthChangeRequest.newBuilder().setUserGrant(
                UserRole.newBuilder().setUser("alice").setRole("ghost")).build(), ITERATIONS)).hasMessageContaining("no role ghost");
        assertThatThrownBy(() -> s.apply(grant("app", Permission.Kind.ADMIN, "x"), ITERATIONS))
                .hasMessageContaining("admin takes no prefix");
        // A deleted role leaves its users, who then may do less.
        AuthState without = s.apply(AuthChangeRequest.newBuilder().setRoleDelete("app").build(), ITERATIONS);
        assertThat(without.allows("alice", Permission.Kind.WRITE, b("app/x"))).isFalse();
        assertThat(without.user("alice")).isPresent();
    }

    @Test
    void tokensCheckTheirMacAndExpiry() {
        byte[] key = AuthState.initial("root-password", ITERATIONS).tokenKey();
        String token = AuthTokens.mint(key, "alice", 3, 10_000);
        assertThat(AuthTokens.verify(key, token, 9_999)).isEqualTo(new AuthTokens.Claims("alice", 3, 10_000));
        assertThatThrownBy(() -> AuthTokens.verify(key, token, 10_000)).hasMessageContaining("expired");
        String forged = token.replace(".3.", ".4.");
        assertThatThrownBy(() -> AuthTokens.verify(key, forged, 0)).hasMessageContaining("not issued by this cluster");
        byte[] otherKey = AuthState.initial("root-password", ITERATIONS).tokenKey();
        assertThatThrownBy(() -> AuthTokens.verify(otherKey, token, 0)).hasMessageContaining("not issued by this cluster");
        assertThatThrownBy(() -> AuthTokens.verify(key, "garbage", 0)).hasMessageContaining("malformed");
    }

    @Test
    void passwordsMatchOnlyThemselvesAndAChangeBumpsTheGeneration() {
        AuthState s = withAliceReadingAndWritingApp();
        var alice = s.user("alice").orElseThrow();
        assertThat(Passwords.matches("alice-password", alice.getSalt().toByteArray(), alice.getHash().toByteArray(),
                alice.getIterations())).isTrue();
        assertThat(Passwords.matches("alice-passwore", alice.getSalt().toByteArray(), alice.getHash().toByteArray(),
                alice.getIterations())).isFalse();
        AuthState changed = s.apply(AuthChangeRequest.newBuilder().setUserPasswd(io.cairn.api.proto.UserPasswd.newBuilder()
                .setName("alice").setPassword("new-password")).build(), ITERATIONS);
        assertThat(changed.user("alice").orElseThrow().getGeneration()).isEqualTo(alice.getGeneration() + 1);
    }

    @Test
    void aUserAtItsSessionCapKeepsItsSessionsAndGetsANewOneOnlyWhenOneLapsed() {
        UserSessions sessions = new UserSessions(2, 1_000);
        assertThat(sessions.admit("alice", 1, 0)).isTrue();
        assertThat(sessions.admit("alice", 2, 10)).isTrue();
        assertThat(sessions.admit("alice", 3, 20)).isFalse();
        assertThat(sessions.admit("bob", 3, 20)).isTrue();
        assertThat(sessions.admit("alice", 1, 500)).isTrue();
        // Session 2 was last used at 10: idle for 1,000 by 1,010, session 1 not (used at 500).
        assertThat(sessions.admit("alice", 3, 1_009)).isFalse();
        assertThat(sessions.admit("alice", 3, 1_010)).isTrue();
        assertThat(sessions.admit("alice", 4, 1_011)).isFalse();
    }
}
