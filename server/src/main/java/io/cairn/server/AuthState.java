package io.cairn.server;

import com.google.protobuf.ByteString;
import io.cairn.api.proto.AuthChangeRequest;
import io.cairn.api.proto.AuthDb;
import io.cairn.api.proto.AuthRole;
import io.cairn.api.proto.AuthUser;
import io.cairn.api.proto.Permission;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Users and roles at one revision of the control group's record, immutable. Holds the rules of
 * the model: names, the built-in {@code root} role (every permission, cannot be changed or
 * removed) and {@code root} user (cannot be removed or lose that role), and which permission
 * covers which key, range or lock name.
 */
final class AuthState {
    static final String ROOT = "root";
    static final int USERS_MAX = 10_000;
    static final int ROLES_MAX = 1_000;
    static final int PERMISSIONS_PER_ROLE_MAX = 1_000;
    static final int PREFIX_BYTES_MAX = 4 * 1024;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,128}");

    private final long revision;
    private final byte[] tokenKey;
    private final TreeMap<String, AuthUser> users;
    private final TreeMap<String, AuthRole> roles;

    private AuthState(long revision, byte[] tokenKey, TreeMap<String, AuthUser> users, TreeMap<String, AuthRole> roles) {
        this.revision = revision;
        this.tokenKey = tokenKey;
        this.users = users;
        this.roles = roles;
    }

    /** The first record of a cluster: the root role, and the root user with {@code rootPassword}. */
    static AuthState initial(String rootPassword, int iterations) {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Passwords.Hashed h = Passwords.hash(rootPassword, iterations);
        TreeMap<String, AuthUser> users = new TreeMap<>();
        users.put(ROOT, AuthUser.newBuilder().setName(ROOT).setSalt(ByteString.copyFrom(h.salt()))
                .setHash(ByteString.copyFrom(h.hash())).setIterations(h.iterations()).addRoles(ROOT).setGeneration(1).build());
        TreeMap<String, AuthRole> roles = new TreeMap<>();
        roles.put(ROOT, AuthRole.newBuilder().setName(ROOT)
                .addPermissions(Permission.newBuilder().setKind(Permission.Kind.ADMIN))
                .addPermissions(Permission.newBuilder().setKind(Permission.Kind.READWRITE))
                .addPermissions(Permission.newBuilder().setKind(Permission.Kind.LOCK)).build());
        return new AuthState(0, key, users, roles);
    }

    static AuthState fromProto(AuthDb db, long revision) {
        TreeMap<String, AuthUser> users = new TreeMap<>();
        db.getUsersList().forEach(u -> users.put(u.getName(), u));
        TreeMap<String, AuthRole> roles = new TreeMap<>();
        db.getRolesList().forEach(r -> roles.put(r.getName(), r));
        return new AuthState(revision, db.getTokenKey().toByteArray(), users, roles);
    }

    AuthDb toProto() {
        return AuthDb.newBuilder().addAllUsers(users.values()).addAllRoles(roles.values())
                .setTokenKey(ByteString.copyFrom(tokenKey)).setRevision(revision).build();
    }

    long revision() {
        return revision;
    }

    byte[] tokenKey() {
        return tokenKey.clone();
    }

    Optional<AuthUser> user(String name) {
        return Optional.ofNullable(users.get(name));
    }

    List<AuthUser> users() {
        return List.copyOf(users.values());
    }

    List<AuthRole> roles() {
        return List.copyOf(roles.values());
    }

    /** Every permission {@code user} holds through its roles; none for an unknown user. */
    List<Permission> permissionsOf(String user) {
        AuthUser u = users.get(user);
        if (u == null) {
            return List.of();
        }
        List<Permission> out = new ArrayList<>();
        for (String role : u.getRolesList()) {
            AuthRole r = roles.get(role);
            if (r != null) {
                out.addAll(r.getPermissionsList());
            }
        }
        return out;
    }

    /** Whether {@code user} may do {@code kind} (READ, WRITE, LOCK) on the key or lock name {@code key}. */
    boolean allows(String user, Permission.Kind kind, byte[] key) {
        for (Permission p : permissionsOf(user)) {
            if (covers(p.getKind(), kind) && startsWith(key, p.getPrefix().toByteArray())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code user} may do {@code kind} on every key of [{@code from}, {@code toExclusive})
     * ({@code toExclusive} empty: to the end of the keyspace). One granted prefix must hold the
     * whole range; ranges are not pieced together from several grants.
     */
    boolean allowsRange(String user, Permission.Kind kind, byte[] from, byte[] toExclusive) {
        for (Permission p : permissionsOf(user)) {
            if (covers(p.getKind(), kind) && rangeWithin(from, toExclusive, p.getPrefix().toByteArray())) {
                return true;
            }
        }
        return false;
    }

    boolean isAdmin(String user) {
        return permissionsOf(user).stream().anyMatch(p -> p.getKind() == Permission.Kind.ADMIN);
    }

    static boolean covers(Permission.Kind granted, Permission.Kind wanted) {
        if (granted == wanted) {
            return true;
        }
        return granted == Permission.Kind.READWRITE && (wanted == Permission.Kind.READ || wanted == Permission.Kind.WRITE);
    }

    static boolean rangeWithin(byte[] from, byte[] toExclusive, byte[] prefix) {
        if (!startsWith(from, prefix)) {
            return false;
        }
        byte[] end = prefixEnd(prefix);
        if (end.length == 0) {
            return true; // the prefix covers the rest of the keyspace
        }
        return toExclusive.length > 0 && Arrays.compareUnsigned(toExclusive, end) <= 0;
    }

    /** The first key after every key starting with {@code prefix}; empty: none (the keyspace's end). */
    static byte[] prefixEnd(byte[] prefix) {
        byte[] end = prefix.clone();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xFF) {
                end[i]++;
                return Arrays.copyOf(end, i + 1);
            }
        }
        return new byte[0];
    }

    static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /**
     * This state with {@code change} applied, at revision 0 (the control group assigns the next);
     * an {@link IllegalArgumentException} names what is wrong with the change, and nothing changes.
     */
    AuthState apply(AuthChangeRequest change, int iterations) {
        TreeMap<String, AuthUser> u = new TreeMap<>(users);
        TreeMap<String, AuthRole> r = new TreeMap<>(roles);
        switch (change.getChangeCase()) {
            case USER_ADD -> {
                var add = change.getUserAdd();
                checkName("user", add.getName());
                if (u.containsKey(add.getName())) {
                    throw new IllegalArgumentException("user " + add.getName() + " exists");
                }
                if (u.size() >= USERS_MAX) {
                    throw new IllegalArgumentException("at most " + USERS_MAX + " users");
                }
                AuthUser.Builder b = AuthUser.newBuilder().setName(add.getName()).setGeneration(1);
                if (!add.getPassword().isEmpty()) {
                    Passwords.Hashed h = Passwords.hash(add.getPassword(), iterations);
                    b.setSalt(ByteString.copyFrom(h.salt())).setHash(ByteString.copyFrom(h.hash())).setIterations(h.iterations());
                }
                for (String role : add.getRolesList()) {
                    requireRole(r, role);
                    if (!b.getRolesList().contains(role)) {
                        b.addRoles(role);
                    }
                }
                u.put(add.getName(), b.build());
            }
            case USER_PASSWD -> {
                AuthUser user = requireUser(u, change.getUserPasswd().getName());
                Passwords.Hashed h = Passwords.hash(change.getUserPasswd().getPassword(), iterations);
                u.put(user.getName(), user.toBuilder().setSalt(ByteString.copyFrom(h.salt()))
                        .setHash(ByteString.copyFrom(h.hash())).setIterations(h.iterations())
                        .setGeneration(user.getGeneration() + 1).build());
            }
            case USER_DELETE -> {
                AuthUser user = requireUser(u, change.getUserDelete());
                if (user.getName().equals(ROOT)) {
                    throw new IllegalArgumentException("the root user cannot be deleted");
                }
                u.remove(user.getName());
            }
            case USER_GRANT -> {
                AuthUser user = requireUser(u, change.getUserGrant().getUser());
                String role = change.getUserGrant().getRole();
                requireRole(r, role);
                if (!user.getRolesList().contains(role)) {
                    u.put(user.getName(), user.toBuilder().addRoles(role).build());
                }
            }
            case USER_REVOKE -> {
                AuthUser user = requireUser(u, change.getUserRevoke().getUser());
                String role = change.getUserRevoke().getRole();
                if (user.getName().equals(ROOT) && role.equals(ROOT)) {
                    throw new IllegalArgumentException("the root user keeps the root role");
                }
                if (!user.getRolesList().contains(role)) {
                    throw new IllegalArgumentException("user " + user.getName() + " does not have role " + role);
                }
                List<String> left = new ArrayList<>(user.getRolesList());
                left.remove(role);
                // Permissions are looked up at every request, so the user's tokens stay valid
                // and its next request is judged by what it may still do.
                u.put(user.getName(), user.toBuilder().clearRoles().addAllRoles(left).build());
            }
            case ROLE_ADD -> {
                String name = change.getRoleAdd();
                checkName("role", name);
                if (r.containsKey(name)) {
                    throw new IllegalArgumentException("role " + name + " exists");
                }
                if (r.size() >= ROLES_MAX) {
                    throw new IllegalArgumentException("at most " + ROLES_MAX + " roles");
                }
                r.put(name, AuthRole.newBuilder().setName(name).build());
            }
            case ROLE_DELETE -> {
                String name = change.getRoleDelete();
                requireMutableRole(r, name);
                r.remove(name);
                for (AuthUser user : List.copyOf(u.values())) {
                    if (user.getRolesList().contains(name)) {
                        List<String> left = new ArrayList<>(user.getRolesList());
                        left.remove(name);
                        u.put(user.getName(), user.toBuilder().clearRoles().addAllRoles(left).build());
                    }
                }
            }
            case ROLE_GRANT -> {
                AuthRole role = requireMutableRole(r, change.getRoleGrant().getRole());
                Permission p = change.getRoleGrant().getPermission();
                checkPermission(p);
                if (!role.getPermissionsList().contains(p)) {
                    if (role.getPermissionsCount() >= PERMISSIONS_PER_ROLE_MAX) {
                        throw new IllegalArgumentException("at most " + PERMISSIONS_PER_ROLE_MAX + " permissions per role");
                    }
                    r.put(role.getName(), role.toBuilder().addPermissions(p).build());
                }
            }
            case ROLE_REVOKE -> {
                AuthRole role = requireMutableRole(r, change.getRoleRevoke().getRole());
                Permission p = change.getRoleRevoke().getPermission();
                List<Permission> left = new ArrayList<>(role.getPermissionsList());
                if (!left.remove(p)) {
                    throw new IllegalArgumentException("role " + role.getName() + " has no permission "
                            + describe(p));
                }
                r.put(role.getName(), role.toBuilder().clearPermissions().addAllPermissions(left).build());
            }
            default -> throw new IllegalArgumentException("the change names no operation");
        }
        return new AuthState(0, tokenKey, u, r);
    }

    /** A permission as the CLI writes it: {@code read:PREFIX}, {@code admin}. */
    static String describe(Permission p) {
        String kind = p.getKind().name().toLowerCase(java.util.Locale.ROOT);
        if (p.getKind() == Permission.Kind.ADMIN) {
            return kind;
        }
        String prefix = p.getPrefix().toStringUtf8();
        return kind + ":" + (prefix.isEmpty() ? "*" : prefix + "*");
    }

    private static void checkName(String what, String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " name '" + name
                    + "' must be 1-128 characters of letters, digits, '.', '_', '@' or '-'");
        }
    }

    private static void checkPermission(Permission p) {
        if (p.getKind() == Permission.Kind.UNRECOGNIZED) {
            throw new IllegalArgumentException("unknown permission kind");
        }
        if (p.getKind() == Permission.Kind.ADMIN && !p.getPrefix().isEmpty()) {
            throw new IllegalArgumentException("admin takes no prefix");
        }
        if (p.getPrefix().size() > PREFIX_BYTES_MAX) {
            throw new IllegalArgumentException("a prefix has at most " + PREFIX_BYTES_MAX + " bytes");
        }
    }

    private static AuthUser requireUser(TreeMap<String, AuthUser> users, String name) {
        AuthUser u = users.get(name);
        if (u == null) {
            throw new IllegalArgumentException("no user " + name);
        }
        return u;
    }

    private static void requireRole(TreeMap<String, AuthRole> roles, String name) {
        if (!roles.containsKey(name)) {
            throw new IllegalArgumentException("no role " + name + " (create it first: cairn role add " + name + ")");
        }
    }

    private static AuthRole requireMutableRole(TreeMap<String, AuthRole> roles, String name) {
        if (name.equals(ROOT)) {
            throw new IllegalArgumentException("the root role is built in and cannot be changed");
        }
        AuthRole r = roles.get(name);
        if (r == null) {
            throw new IllegalArgumentException("no role " + name);
        }
        return r;
    }

    List<String> roleNamesOf(String user) {
        AuthUser u = users.get(user);
        return u == null ? List.of() : Collections.unmodifiableList(u.getRolesList());
    }
}
