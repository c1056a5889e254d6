package io.cairn.client;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.AuthChangeRequest;
import io.cairn.api.proto.AuthChangeResponse;
import io.cairn.api.proto.AuthGrpc;
import io.cairn.api.proto.AuthListRequest;
import io.cairn.api.proto.AuthListResponse;
import io.cairn.api.proto.RolePermission;
import io.cairn.api.proto.UserAdd;
import io.cairn.api.proto.UserPasswd;
import io.cairn.api.proto.UserRole;
import io.cairn.api.proto.WhoAmIRequest;
import io.cairn.api.proto.WhoAmIResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Users and roles of a cluster with authentication on ({@link CairnClient#access()}). Every
 * change needs the admin permission, is applied atomically by the cluster's control group, and
 * is in force on every member that confirmed it when the call returns ({@link Change#unconfirmed}
 * names those that did not answer in time; they stop serving once their copy is 5 s old).
 */
public final class AccessControl {
    /** What a permission allows; see {@link Permission}. */
    public enum Kind { READ, WRITE, READWRITE, LOCK, ADMIN }

    /**
     * {@code kind} on keys (or lock names) starting with {@code prefix}; empty: all of them.
     * Written {@code read:app/}, {@code readwrite:}, {@code lock:jobs/}, {@code admin}.
     */
    public record Permission(Kind kind, String prefix) {
        public Permission {
            if (kind == null || prefix == null) {
                throw new IllegalArgumentException("a permission needs a kind and a prefix (empty: every key)");
            }
            if (kind == Kind.ADMIN && !prefix.isEmpty()) {
                throw new IllegalArgumentException("admin takes no prefix");
            }
        }

        /** Parses {@code KIND[:PREFIX]}; a trailing {@code *} on the prefix is allowed and ignored. */
        public static Permission parse(String text) {
            int colon = text.indexOf(':');
            String kind = (colon < 0 ? text : text.substring(0, colon)).trim().toUpperCase(Locale.ROOT);
            String prefix = colon < 0 ? "" : text.substring(colon + 1);
            if (prefix.endsWith("*")) {
                prefix = prefix.substring(0, prefix.length() - 1);
            }
            try {
                return new Permission(Kind.valueOf(kind), prefix);
            } catch (IllegalArgumentException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("admin")) {
                    throw e;
                }
                throw new IllegalArgumentException("permission '" + text + "' must be read|write|readwrite|lock:PREFIX or admin");
            }
        }

        @Override
        public String toString() {
            return kind.name().toLowerCase(Locale.ROOT) + (kind == Kind.ADMIN ? "" : ":" + prefix + "*");
        }

        io.cairn.api.proto.Permission toProto() {
            return io.cairn.api.proto.Permission.newBuilder().setKind(io.cairn.api.proto.Permission.Kind.valueOf(kind.name()))
                    .setPrefix(ByteString.copyFrom(prefix, StandardCharsets.UTF_8)).build();
        }

        static Permission fromProto(io.cairn.api.proto.Permission p) {
            return new Permission(Kind.valueOf(p.getKind().name()), p.getPrefix().toStringUtf8());
        }
    }

    /** A change made: the revision of the users record it produced, and members that did not confirm it. */
    public record Change(long revision, List<String> unconfirmed) {}

    /** Who the caller is: its user (empty when none signed in), how it proved it, and what it may do. */
    public record Identity(String user, String method, boolean authEnabled, List<String> roles, List<Permission> permissions) {}

    public record User(String name, List<String> roles, boolean hasPassword) {}

    public record Role(String name, List<Permission> permissions) {}

    public record Listing(long revision, List<User> users, List<Role> roles) {}

    private final CairnClient client;
    private final Retrier retrier;
    private final long timeoutMillis;

    AccessControl(CairnClient client, Retrier retrier, long timeoutMillis) {
        this.client = client;
        this.retrier = retrier;
        // A change waits for every member to confirm (2 s) after the commit.
        this.timeoutMillis = Math.max(timeoutMillis, 10_000);
    }

    public Identity whoAmI() {
        WhoAmIResponse r = call("whoami", AuthGrpc.getWhoAmIMethod(), WhoAmIRequest.getDefaultInstance());
        return new Identity(r.getUser(), r.getMethod(), r.getAuthEnabled(), List.copyOf(r.getRolesList()),
                r.getPermissionsList().stream().map(Permission::fromProto).toList());
    }

    /** Adds a user; a null or empty {@code password} makes one that signs in with a client certificate only. */
    public Change addUser(String name, String password, List<String> roles) {
        UserAdd.Builder b = UserAdd.newBuilder().setName(name).addAllRoles(roles);
        if (password != null) {
            b.setPassword(password);
        }
        return change(AuthChangeRequest.newBuilder().setUserAdd(b).build());
    }

    /** Sets a user's password; the user's tokens are refused from then on. */
    public Change changePassword(String name, String password) {
        return change(AuthChangeRequest.newBuilder().setUserPasswd(UserPasswd.newBuilder().setName(name).setPassword(password)).build());
    }

    public Change deleteUser(String name) {
        return change(AuthChangeRequest.newBuilder().setUserDelete(name).build());
    }

    public Change grantRole(String user, String role) {
        return change(AuthChangeRequest.newBuilder().setUserGrant(UserRole.newBuilder().setUser(user).setRole(role)).build());
    }

    public Change revokeRole(String user, String role) {
        return change(AuthChangeRequest.newBuilder().setUserRevoke(UserRole.newBuilder().setUser(user).setRole(role)).build());
    }

    public Change addRole(String name) {
        return change(AuthChangeRequest.newBuilder().setRoleAdd(name).build());
    }

    public Change deleteRole(String name) {
        return change(AuthChangeRequest.newBuilder().setRoleDelete(name).build());
    }

    public Change grant(String role, Permission permission) {
        return change(AuthChangeRequest.newBuilder().setRoleGrant(RolePermission.newBuilder().setRole(role)
                .setPermission(permission.toProto())).build());
    }

    public Change revoke(String role, Permission permission) {
        return change(AuthChangeRequest.newBuilder().setRoleRevoke(RolePermission.newBuilder().setRole(role)
                .setPermission(permission.toProto())).build());
    }

    public Listing list() {
        AuthListResponse r = call("auth-list", AuthGrpc.getListMethod(), AuthListRequest.getDefaultInstance());
        return new Listing(r.getRevision(),
                r.getUsersList().stream().map(u -> new User(u.getName(), List.copyOf(u.getRolesList()), u.getHasPassword())).toList(),
                r.getRolesList().stream().map(x -> new Role(x.getName(),
                        x.getPermissionsList().stream().map(Permission::fromProto).toList())).toList());
    }

    private Change change(AuthChangeRequest req) {
        AuthChangeResponse r = call("auth-change", AuthGrpc.getChangeMethod(), req);
        return new Change(r.getRevision(), List.copyOf(r.getUnconfirmedList()));
    }

    private <Q, R> R call(String operation, io.grpc.MethodDescriptor<Q, R> method, Q request) {
        return CairnClient.join(retrier.call(operation, 0, method, request, null,
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis), timeoutMillis));
    }
}
