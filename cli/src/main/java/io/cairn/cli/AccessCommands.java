package io.cairn.cli;

import io.cairn.client.AccessControl;
import io.cairn.client.CairnClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code cairn user ...}, {@code cairn role ...} and {@code cairn whoami}: users and roles of a
 * cluster started with {@code --auth} (docs/security.md). Changes need the admin permission.
 */
final class AccessCommands {
    private AccessCommands() {}

    @Command(name = "user", mixinStandardHelpOptions = true, description = "Users of a cluster with --auth.",
            subcommands = {UserAdd.class, UserPasswd.class, UserDelete.class, UserGrant.class, UserRevoke.class,
                    UserList.class})
    static final class User implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required, e.g. add");
        }
    }

    @Command(name = "role", mixinStandardHelpOptions = true,
            description = {"Roles of a cluster with --auth. A permission is KIND:PREFIX, KIND one of read, write,",
                    "readwrite, lock (lock names), or admin alone (membership, leader moves, users and roles);",
                    "PREFIX is the start of the keys it covers (empty: every key), e.g. readwrite:app/ or read:."},
            subcommands = {RoleAdd.class, RoleDelete.class, RoleGrant.class, RoleRevoke.class, RoleList.class})
    static final class Role implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required, e.g. add");
        }
    }

    /** Prints a change's outcome: the new revision, and members that have not confirmed it. */
    private abstract static class ChangeCommand extends ClientCommand {
        @Override
        final int run(CairnClient client, PrintWriter out, PrintWriter err) throws Exception {
            AccessControl.Change c = change(client.access());
            out.println(done() + " (revision " + c.revision() + ")");
            if (!c.unconfirmed().isEmpty()) {
                err.println("cairn: not yet confirmed by " + String.join(", ", c.unconfirmed())
                        + "; they refuse requests until they have it (at most 5 s after they last refreshed)");
            }
            return CairnCli.EXIT_OK;
        }

        abstract AccessControl.Change change(AccessControl access) throws IOException;

        abstract String done();
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Adds a user. The password is read from stdin with --password-stdin (first line),",
                    "else asked for twice; --no-password makes a user who signs in with a client certificate",
                    "(CN=NAME, from `cairn certs issue DIR --client NAME`) only."})
    static final class UserAdd extends ChangeCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--role", paramLabel = "ROLE", split = ",", description = "Roles to give it (repeat or comma-separate).")
        List<String> roles = new ArrayList<>();

        @Option(names = "--password-stdin", description = "Read the password from the first line of stdin.")
        boolean passwordStdin;

        @Option(names = "--no-password", description = "No password: the user signs in with a client certificate only.")
        boolean noPassword;

        @Override
        AccessControl.Change change(AccessControl access) throws IOException {
            String password = noPassword ? null : newPassword(passwordStdin, name);
            return access.addUser(name, password, roles);
        }

        @Override
        String done() {
            return "added user " + name;
        }
    }

    @Command(name = "passwd", mixinStandardHelpOptions = true,
            description = "Sets a user's password; tokens from its earlier logins stop working at once.")
    static final class UserPasswd extends ChangeCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--password-stdin", description = "Read the new password from the first line of stdin.")
        boolean passwordStdin;

        @Override
        AccessControl.Change change(AccessControl access) throws IOException {
            return access.changePassword(name, newPassword(passwordStdin, name));
        }

        @Override
        String done() {
            return "changed the password of " + name;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes a user (not root).")
    static final class UserDelete extends ChangeCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        AccessControl.Change change(AccessControl access) {
            return access.deleteUser(name);
        }

        @Override
        String done() {
            return "deleted user " + name;
        }
    }

    @Command(name = "grant", mixinStandardHelpOptions = true, description = "Gives a user a role.")
    static final class UserGrant extends ChangeCommand {
        @Parameters(index = "0", paramLabel = "USER")
        String user;

        @Parameters(index = "1", paramLabel = "ROLE")
        String role;

        @Override
        AccessControl.Change change(AccessControl access) {
            return access.grantRole(user, role);
        }

        @Override
        String done() {
            return "gave " + user + " role " + role;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Takes a role from a user; its next request is judged without it.")
    static final class UserRevoke extends ChangeCommand {
        @Parameters(index = "0", paramLabel = "USER")
        String user;

        @Parameters(index = "1", paramLabel = "ROLE")
        String role;

        @Override
        AccessControl.Change change(AccessControl access) {
            return access.revokeRole(user, role);
        }

        @Override
        String done() {
            return "took role " + role + " from " + user;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"Lists users and their roles; with --json one object:",
                    "{\"revision\":12,\"users\":[{\"name\":\"root\",\"roles\":[\"root\"],\"password\":true}]}"})
    static final class UserList extends ClientCommand {
        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) {
            AccessControl.Listing l = client.access().list();
            if (json) {
                StringBuilder sb = new StringBuilder("{\"revision\":" + l.revision() + ",\"users\":[");
                for (int i = 0; i < l.users().size(); i++) {
                    AccessControl.User u = l.users().get(i);
                    sb.append(i == 0 ? "" : ",").append("{\"name\":").append(KvJson.quote(u.name())).append(",\"roles\":")
                            .append(array(u.roles())).append(",\"password\":").append(u.hasPassword()).append('}');
                }
                out.println(sb.append("]}"));
                return CairnCli.EXIT_OK;
            }
            out.printf("%-24s %-9s %s%n", "USER", "PASSWORD", "ROLES");
            for (AccessControl.User u : l.users()) {
                out.printf("%-24s %-9s %s%n", u.name(), u.hasPassword() ? "yes" : "cert only", String.join(",", u.roles()));
            }
            return CairnCli.EXIT_OK;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Adds a role with no permissions.")
    static final class RoleAdd extends ChangeCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        AccessControl.Change change(AccessControl access) {
            return access.addRole(name);
        }

        @Override
        String done() {
            return "added role " + name;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes a role (not root) and takes it from its users.")
    static final class RoleDelete extends ChangeCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        AccessControl.Change change(AccessControl access) {
            return access.deleteRole(name);
        }

        @Override
        String done() {
            return "deleted role " + name;
        }
    }

    @Command(name = "grant", mixinStandardHelpOptions = true, description = "Adds a permission to a role, e.g. readwrite:app/")
    static final class RoleGrant extends ChangeCommand {
        @Parameters(index = "0", paramLabel = "ROLE")
        String role;

        @Parameters(index = "1", paramLabel = "PERMISSION")
        String permission;

        @Override
        void validate() {
            AccessControl.Permission.parse(permission);
        }

        @Override
        AccessControl.Change change(AccessControl access) {
            return access.grant(role, AccessControl.Permission.parse(permission));
        }

        @Override
        String done() {
            return "role " + role + " may now " + AccessControl.Permission.parse(permission);
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Removes a permission from a role.")
    static final class RoleRevoke extends ChangeCommand {
        @Parameters(index = "0", paramLabel = "ROLE")
        String role;

        @Parameters(index = "1", paramLabel = "PERMISSION")
        String permission;

        @Override
        void validate() {
            AccessControl.Permission.parse(permission);
        }

        @Override
        AccessControl.Change change(AccessControl access) {
            return access.revoke(role, AccessControl.Permission.parse(permission));
        }

        @Override
        String done() {
            return "role " + role + " no longer has " + AccessControl.Permission.parse(permission);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"Lists roles and their permissions; with --json one object:",
                    "{\"revision\":12,\"roles\":[{\"name\":\"app\",\"permissions\":[\"readwrite:app/*\"]}]}"})
    static final class RoleList extends ClientCommand {
        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) {
            AccessControl.Listing l = client.access().list();
            if (json) {
                StringBuilder sb = new StringBuilder("{\"revision\":" + l.revision() + ",\"roles\":[");
                for (int i = 0; i < l.roles().size(); i++) {
                    AccessControl.Role r = l.roles().get(i);
                    sb.append(i == 0 ? "" : ",").append("{\"name\":").append(KvJson.quote(r.name())).append(",\"permissions\":")
                            .append(array(r.permissions().stream().map(Object::toString).toList())).append('}');
                }
                out.println(sb.append("]}"));
                return CairnCli.EXIT_OK;
            }
            out.printf("%-24s %s%n", "ROLE", "PERMISSIONS");
            for (AccessControl.Role r : l.roles()) {
                out.printf("%-24s %s%n", r.name(), String.join(" ", r.permissions().stream().map(Object::toString).toList()));
            }
            return CairnCli.EXIT_OK;
        }
    }

    @Command(name = "whoami", mixinStandardHelpOptions = true,
            description = {"Says who the cluster takes this client for, how it signed in (token, certificate, or",
                    "none when --auth is off) and what it may do; with --json one object:",
                    "{\"user\":\"alice\",\"method\":\"token\",\"auth\":true,\"roles\":[\"app\"],\"permissions\":[\"readwrite:app/*\"]}"})
    static final class WhoAmI extends ClientCommand {
        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) {
            AccessControl.Identity me = client.access().whoAmI();
            List<String> permissions = me.permissions().stream().map(Object::toString).toList();
            if (json) {
                out.println("{\"user\":" + KvJson.quote(me.user()) + ",\"method\":" + KvJson.quote(me.method()) + ",\"auth\":"
                        + me.authEnabled() + ",\"roles\":" + array(me.roles()) + ",\"permissions\":" + array(permissions) + "}");
            } else if (!me.authEnabled()) {
                out.println("authentication is off: every client may do everything");
            } else {
                out.println(me.user() + " (signed in by " + me.method() + "), roles: " + String.join(",", me.roles())
                        + "; may: " + String.join(" ", permissions));
            }
            return CairnCli.EXIT_OK;
        }
    }

    private static String array(List<String> items) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < items.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(KvJson.quote(items.get(i)));
        }
        return sb.append(']').toString();
    }

    /** A new password: the first line of stdin, or typed twice at the terminal. */
    static String newPassword(boolean fromStdin, String user) throws IOException {
        if (fromStdin) {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isBlank()) {
                throw new IllegalArgumentException("--password-stdin: stdin holds no password");
            }
            return line.strip();
        }
        java.io.Console console = System.console();
        if (console == null) {
            throw new IllegalArgumentException("no terminal to ask for " + user + "'s password: use --password-stdin");
        }
        char[] first = console.readPassword("new password for %s: ", user);
        char[] again = console.readPassword("again: ");
        if (first == null || again == null || !java.util.Arrays.equals(first, again)) {
            throw new IllegalArgumentException("the passwords differ; nothing changed");
        }
        return new String(first);
    }
}
