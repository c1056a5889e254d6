package io.cairn.cli;

import io.cairn.client.CairnClient;
import io.cairn.client.ClusterStatus;
import io.cairn.client.Members;
import io.cairn.client.ShardsReport;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "cluster", mixinStandardHelpOptions = true, description = "Cluster-wide commands.",
        subcommands = {ClusterCommand.StatusCommand.class, ClusterCommand.ShardsCommand.class,
                ClusterCommand.MembersCommand.class, ClusterCommand.AddNodeCommand.class,
                ClusterCommand.RemoveNodeCommand.class, ClusterCommand.ReplaceNodeCommand.class,
                ClusterCommand.RebalanceCommand.class, ClusterCommand.MoveLeaderCommand.class})
final class ClusterCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required, e.g. status");
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Asks every member for its own status and prints a table, or with --json one object:",
                    "{\"leader\":\"n1\",\"term\":5,\"nodes\":[{\"id\":\"n1\",\"address\":\"127.0.0.1:7401\","
                            + "\"role\":\"leader\",\"term\":5,\"commit_index\":120,\"applied_index\":120}]}",
                    "Roles: leader, follower, candidate, pre_candidate, none (no metadata replica in a sharded",
                    "cluster), unknown, unreachable (numbers then 0).",
                    "Exits 3 only when no member answers."})
    static final class StatusCommand extends ClientCommand {
        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) {
            ClusterStatus status = client.clusterStatus();
            out.println(json ? toJson(status) : toTable(status));
            return CairnCli.EXIT_OK;
        }
    }

    @Command(name = "shards", mixinStandardHelpOptions = true,
            description = {"Asks every endpoint for its view of the shards and prints each shard's hash slots,",
                    "replicas, leader and applied index; with --json one object:",
                    "{\"epoch\":1,\"shard_count\":4,\"shards\":[{\"id\":0,\"slots\":\"0-1023\","
                            + "\"replicas\":[\"n1\",\"n2\",\"n3\"],\"leader\":\"n2\",\"term\":1,\"applied_index\":812,\"size_bytes\":40960}]}",
                    "epoch is the membership version the placement was computed from; replicas are the leader's",
                    "configuration (voters and learners being built).",
                    "Give every node as an endpoint to see every shard's leader. Exits 3 when none answers."})
    static final class ShardsCommand extends ClientCommand {
        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) {
            ShardsReport report = client.shards();
            out.println(json ? shardsJson(report) : shardsTable(report));
            return CairnCli.EXIT_OK;
        }
    }

    @Command(name = "members", mixinStandardHelpOptions = true,
            description = {"Lists every member as the metadata leader knows it: state (up, dead, leaving, removed),",
                    "address, zone, how many shards it holds and leads (from the shard leaders' last reports) and",
                    "whether it was heard from in the last few seconds. With --json one object:",
                    "{\"epoch\":7,\"shard_count\":8,\"shards_unreported\":0,\"members\":[{\"id\":\"n1\","
                            + "\"address\":\"127.0.0.1:7401\",\"zone\":\"\",\"state\":\"up\",\"replicas\":5,"
                            + "\"leads\":2,\"heard_recently\":true}]}",
                    "Needs a sharded cluster (--shards > 1)."})
    static final class MembersCommand extends ClientCommand {
        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) {
            Members m = client.members();
            out.println(json ? membersJson(m) : membersTable(m));
            return CairnCli.EXIT_OK;
        }
    }

    /** What the membership commands share: parsing nID=HOST:PORT and waiting with progress. */
    abstract static class MembershipChange extends ClientCommand {
        @Option(names = "--wait", description = "Wait until the change is complete, printing progress.")
        boolean await;

        @Option(names = "--wait-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
                description = "Give up waiting after this long (exit 3; the change goes on). Default: 10m.")
        java.time.Duration waitTimeout = java.time.Duration.ofMinutes(10);

        static long[] idOf(String node) {
            return new long[] {io.cairn.server.ClusterSpec.parseName(node).value()};
        }

        static Object[] parseMember(String member) {
            int eq = member.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("'" + member + "' must look like n6=127.0.0.1:7406");
            }
            long id = io.cairn.server.ClusterSpec.parseName(member.substring(0, eq)).value();
            String address = io.cairn.server.ClusterSpec.parseAddress(member.substring(eq + 1));
            return new Object[] {id, address};
        }

        /**
         * Polls the membership once a second until {@code progress} returns null (done), printing
         * each new progress line; exits 3 at the timeout.
         */
        int waitFor(CairnClient client, PrintWriter out, PrintWriter err,
                    java.util.function.Function<Members, String> progress) throws InterruptedException {
            long deadline = System.nanoTime() + waitTimeout.toNanos();
            String last = "";
            while (true) {
                String now;
                try {
                    now = progress.apply(client.members());
                } catch (io.cairn.client.CairnUnavailableException e) {
                    now = "waiting for the metadata leader (" + CairnCli.oneLine(e.getMessage()) + ")";
                }
                if (now == null) {
                    return CairnCli.EXIT_OK;
                }
                if (!now.equals(last)) {
                    out.println(now);
                    out.flush();
                    last = now;
                }
                if (System.nanoTime() > deadline) {
                    err.println("cairn: gave up waiting after " + (waitTimeout.toSeconds() + " s")
                            + "; the change goes on (see 'cluster members')");
                    return CairnCli.EXIT_UNAVAILABLE;
                }
                Thread.sleep(1_000);
            }
        }

        /** How many shards the placement of {@code m} gives node {@code id}. */
        static int share(Members m, long id) {
            java.util.List<io.cairn.placement.MemberInfo> infos = new java.util.ArrayList<>();
            for (Members.Member x : m.members()) {
                infos.add(new io.cairn.placement.MemberInfo(io.cairn.common.NodeId.of(x.id()), x.address(), x.zone(),
                        io.cairn.placement.MemberInfo.State.valueOf(x.state().name())));
            }
            return io.cairn.placement.Topology.derive(m.epoch(), infos, m.shardCount())
                    .groupsOf(io.cairn.common.NodeId.of(id)).size();
        }
    }

    @Command(name = "add-node", mixinStandardHelpOptions = true,
            description = {"Registers a node with the metadata group: it becomes a member and receives its share of",
                    "replicas (then start it with 'cairn server --join'; a node started with --join registers",
                    "itself, so this is optional). Idempotent. Prints the new epoch. Refused, with the reason,",
                    "for an id that is a member at another address, was removed, or an address another member has.",
                    "With --wait, waits until the node holds its share of shards. Needs --shards > 1."})
    static final class AddNodeCommand extends MembershipChange {
        @CommandLine.Parameters(index = "0", paramLabel = "nID=HOST:PORT", description = "The node and its address, e.g. n6=10.0.0.6:7401.")
        String member;

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) throws InterruptedException {
            Object[] parsed = parseMember(member);
            long id = (Long) parsed[0];
            long epoch = client.addNode(id, (String) parsed[1]);
            out.println("n" + id + " is a member (epoch " + epoch + ")");
            if (!await) {
                return CairnCli.EXIT_OK;
            }
            return waitFor(client, out, err, m -> {
                Members.Member me = m.member(id).orElse(null);
                int share = share(m, id);
                if (me != null && me.replicas() >= share && m.shardsUnreported() == 0) {
                    out.println("n" + id + " holds its " + share + " shards");
                    return null;
                }
                return "n" + id + ": " + (me == null ? 0 : me.replicas()) + " of " + share + " shards"
                        + (me != null && !me.heardRecently() ? " (not heard from: is it started with --join?)" : "");
            });
        }
    }

    @Command(name = "remove-node", mixinStandardHelpOptions = true,
            description = {"Decommissions a node: it becomes leaving, its replicas move to the other nodes, then it",
                    "is removed, and it stops by itself (a removed id is never used again). Prints the epoch that",
                    "marks it leaving; with --wait, waits until it is removed, printing the shards it still holds."})
    static final class RemoveNodeCommand extends MembershipChange {
        @CommandLine.Parameters(index = "0", paramLabel = "nID", description = "The node, e.g. n4.")
        String node;

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) throws InterruptedException {
            long id = idOf(node)[0];
            long epoch = client.removeNode(id);
            out.println("n" + id + " is leaving (epoch " + epoch + "); its replicas move off");
            if (!await) {
                return CairnCli.EXIT_OK;
            }
            return waitFor(client, out, err, m -> {
                Members.Member me = m.member(id).orElse(null);
                if (me == null || me.state() == Members.State.REMOVED) {
                    out.println("n" + id + " is removed (epoch " + m.epoch() + ")");
                    return null;
                }
                return "n" + id + " " + me.state().name().toLowerCase(Locale.ROOT) + ": still holds " + me.replicas()
                        + " shards";
            });
        }
    }

    @Command(name = "replace-node", mixinStandardHelpOptions = true,
            description = {"Gives a dead member's id to a new machine at another address, e.g. after a disk was lost.",
                    "Only for a member that 'cluster members' shows dead (stopped for longer than",
                    "--dead-node-timeout): its replicas are rebuilt on the others first, then the id becomes up at",
                    "the new address; start the new machine with 'cairn server --join' and an empty data dir.",
                    "With --wait, waits until the id is up at the new address."})
    static final class ReplaceNodeCommand extends MembershipChange {
        @CommandLine.Parameters(index = "0", paramLabel = "nID=HOST:PORT", description = "The dead node's id and the new address.")
        String member;

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) throws InterruptedException {
            Object[] parsed = parseMember(member);
            long id = (Long) parsed[0];
            String address = (String) parsed[1];
            client.replaceNode(id, address);
            out.println("n" + id + " will move to " + address + " once no shard counts its old machine");
            if (!await) {
                return CairnCli.EXIT_OK;
            }
            return waitFor(client, out, err, m -> {
                Members.Member me = m.member(id).orElseThrow();
                if (me.state() == Members.State.UP && me.address().equals(address)) {
                    out.println("n" + id + " is up at " + address + " (epoch " + m.epoch() + ")");
                    return null;
                }
                // The request lives in the metadata leader's memory: repeat it in case that leader changed.
                client.replaceNode(id, address);
                return "n" + id + " " + me.state().name().toLowerCase(Locale.ROOT) + ": still counted by "
                        + me.replicas() + " shards";
            });
        }
    }

    @Command(name = "rebalance", mixinStandardHelpOptions = true,
            description = {"Evens out shard leadership now: while some node leads at least two shards more than",
                    "another replica of one of its shards, hands that shard to the replica leading the fewest.",
                    "Prints each move and the leaders per node before and after. Nodes also do this on their own",
                    "every 2 s, one move at a time; replica placement needs no rebalancing (it follows the",
                    "membership). With --wait, plans again from fresh reports after each round of moves until",
                    "no gap of two is left (a move can fail while a shard elects), printing each round."})
    static final class RebalanceCommand extends MembershipChange {
        @Option(names = "--dry-run", description = "Print the moves without making them.")
        boolean dryRun;

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) throws InterruptedException {
            long deadline = System.nanoTime() + waitTimeout.toNanos();
            while (true) {
                int moves;
                try {
                    moves = round(client, out);
                } catch (io.cairn.client.CairnException e) {
                    if (!await || dryRun) {
                        throw e;
                    }
                    out.println("a move failed (" + CairnCli.oneLine(e.getMessage()) + "); planning again");
                    moves = 1;
                }
                if (moves == 0 || !await || dryRun) {
                    return CairnCli.EXIT_OK;
                }
                if (System.nanoTime() > deadline) {
                    err.println("cairn: still not balanced after " + waitTimeout.toSeconds() + " s");
                    return CairnCli.EXIT_UNAVAILABLE;
                }
                Thread.sleep(1_000); // let the shard leaders report their new leadership
            }
        }

        /** One round of moves planned from one report; returns how many were made (or planned). */
        private int round(CairnClient client, PrintWriter out) {
            ShardsReport report = client.shards();
            java.util.TreeMap<Long, Long> leaders = new java.util.TreeMap<>(); // shard -> leader
            report.shards().forEach(s -> leaders.put((long) s.id(), s.leader()));
            out.println("leaders per node before: " + leadsPerNode(report, leaders));
            int moves = 0;
            for (int step = 0; step < 2 * report.shards().size(); step++) {
                long[] move = nextMove(report, leaders);
                if (move == null) {
                    break;
                }
                out.println((dryRun ? "would move" : "moving") + " shard " + move[0] + " from n" + move[1] + " to n" + move[2]);
                if (!dryRun) {
                    client.transferLeader(io.cairn.placement.ShardGroups.groupOfShard((int) move[0]).value(), move[2]);
                }
                leaders.put(move[0], move[2]);
                moves++;
            }
            if (moves == 0) {
                out.println("balanced");
            } else if (!dryRun) {
                ShardsReport after = client.shards();
                java.util.TreeMap<Long, Long> now = new java.util.TreeMap<>();
                after.shards().forEach(s -> now.put((long) s.id(), s.leader()));
                out.println("leaders per node after: " + leadsPerNode(after, now));
            }
            out.flush();
            return moves;
        }

        /** {shard, from, to} for the best next move, or null when no gap of two or more is left. */
        static long[] nextMove(ShardsReport report, java.util.TreeMap<Long, Long> leaders) {
            java.util.TreeMap<Long, Integer> leads = counts(report, leaders);
            long[] best = null;
            int bestGap = 1;
            for (ShardsReport.Shard s : report.shards()) {
                long from = leaders.get((long) s.id());
                if (from == 0) {
                    continue;
                }
                for (long to : s.replicas()) {
                    int gap = leads.get(from) - leads.getOrDefault(to, 0);
                    if (to != from && gap > bestGap) {
                        best = new long[] {s.id(), from, to};
                        bestGap = gap;
                    }
                }
            }
            return best;
        }

        private static java.util.TreeMap<Long, Integer> counts(ShardsReport report, java.util.TreeMap<Long, Long> leaders) {
            java.util.TreeMap<Long, Integer> leads = new java.util.TreeMap<>();
            report.shards().forEach(s -> s.replicas().forEach(r -> leads.putIfAbsent(r, 0)));
            leaders.values().stream().filter(l -> l != 0).forEach(l -> leads.merge(l, 1, Integer::sum));
            return leads;
        }

        private static String leadsPerNode(ShardsReport report, java.util.TreeMap<Long, Long> leaders) {
            StringBuilder sb = new StringBuilder();
            counts(report, leaders).forEach((n, c) -> sb.append(sb.length() == 0 ? "" : ", ").append('n').append(n)
                    .append('=').append(c));
            long leaderless = leaders.values().stream().filter(l -> l == 0).count();
            return sb + (leaderless == 0 ? "" : " (" + leaderless + " shards without a known leader)");
        }
    }

    @Command(name = "move-leader", mixinStandardHelpOptions = true,
            description = {"Hands SHARD's leadership to nID, one of its voters, and waits until it leads",
                    "(SHARD 'meta' is the metadata group). Leaders also balance themselves every 2 s."})
    static final class MoveLeaderCommand extends ClientCommand {
        @CommandLine.Parameters(index = "0", paramLabel = "SHARD", description = "A shard number from 'cluster shards', or meta.")
        String shard;

        @CommandLine.Parameters(index = "1", paramLabel = "nID", description = "The new leader, e.g. n2.")
        String node;

        @Override
        int run(CairnClient client, PrintWriter out, PrintWriter err) {
            long group;
            if (shard.equals("meta")) {
                group = io.cairn.placement.ShardGroups.META_GROUP.value();
            } else {
                try {
                    group = io.cairn.placement.ShardGroups.groupOfShard(Integer.parseInt(shard)).value();
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("SHARD must be a shard number or meta, got '" + shard + "'");
                }
            }
            long id = io.cairn.server.ClusterSpec.parseName(node).value();
            client.transferLeader(group, id);
            out.println("n" + id + " leads " + (shard.equals("meta") ? "the metadata group" : "shard " + shard));
            return CairnCli.EXIT_OK;
        }
    }

    static String membersJson(Members m) {
        StringBuilder sb = new StringBuilder("{\"epoch\":").append(m.epoch()).append(",\"shard_count\":")
                .append(m.shardCount()).append(",\"shards_unreported\":").append(m.shardsUnreported())
                .append(",\"members\":[");
        for (int i = 0; i < m.members().size(); i++) {
            Members.Member x = m.members().get(i);
            sb.append(i == 0 ? "" : ",").append("{\"id\":").append(nodeName(x.id()))
                    .append(",\"address\":").append(KvJson.quote(x.address()))
                    .append(",\"zone\":").append(KvJson.quote(x.zone()))
                    .append(",\"state\":").append(KvJson.quote(x.state().name().toLowerCase(Locale.ROOT)))
                    .append(",\"replicas\":").append(x.replicas())
                    .append(",\"leads\":").append(x.leads())
                    .append(",\"heard_recently\":").append(x.heardRecently()).append('}');
        }
        return sb.append("]}").toString();
    }

    static String membersTable(Members m) {
        StringBuilder sb = new StringBuilder();
        sb.append("epoch ").append(m.epoch()).append(", ").append(m.shardCount()).append(" shards");
        if (m.shardsUnreported() > 0) {
            sb.append(" (").append(m.shardsUnreported()).append(" without a recent report: counts may be low)");
        }
        sb.append('\n');
        String row = "%-5s %-22s %-8s %-8s %8s %6s %s%n";
        sb.append(String.format(Locale.ROOT, row, "ID", "ADDRESS", "STATE", "ZONE", "REPLICAS", "LEADS", "HEARD"));
        for (Members.Member x : m.members()) {
            sb.append(String.format(Locale.ROOT, row, "n" + x.id(), x.address(), x.state().name().toLowerCase(Locale.ROOT),
                    x.zone().isEmpty() ? "-" : x.zone(), x.replicas(), x.leads(), x.heardRecently() ? "yes" : "no"));
        }
        return sb.toString().stripTrailing();
    }

    static String shardsJson(ShardsReport report) {
        StringBuilder sb = new StringBuilder("{\"epoch\":").append(report.epoch())
                .append(",\"shard_count\":").append(report.shardCount()).append(",\"shards\":[");
        for (int i = 0; i < report.shards().size(); i++) {
            ShardsReport.Shard s = report.shards().get(i);
            sb.append(i == 0 ? "" : ",").append("{\"id\":").append(s.id())
                    .append(",\"slots\":").append(KvJson.quote(slots(s)))
                    .append(",\"replicas\":[");
            for (int r = 0; r < s.replicas().size(); r++) {
                sb.append(r == 0 ? "" : ",").append(nodeName(s.replicas().get(r)));
            }
            sb.append("],\"leader\":").append(nodeName(s.leader()))
                    .append(",\"term\":").append(s.term())
                    .append(",\"applied_index\":").append(s.appliedIndex())
                    .append(",\"size_bytes\":").append(s.sizeBytes()).append('}');
        }
        return sb.append("]}").toString();
    }

    static String shardsTable(ShardsReport report) {
        StringBuilder sb = new StringBuilder();
        sb.append(report.shardCount()).append(report.shardCount() == 1 ? " shard" : " shards")
                .append(", epoch ").append(report.epoch()).append('\n');
        String row = "%-6s %-11s %-16s %-7s %6s %10s %12s%n";
        sb.append(String.format(Locale.ROOT, row, "SHARD", "SLOTS", "REPLICAS", "LEADER", "TERM", "APPLIED", "SIZE_BYTES"));
        for (ShardsReport.Shard s : report.shards()) {
            String replicas = String.join(",", s.replicas().stream().map(id -> "n" + id).toList());
            sb.append(String.format(Locale.ROOT, row, s.id(), slots(s), replicas,
                    s.leader() == 0 ? "-" : "n" + s.leader(), s.term(), s.appliedIndex(), s.sizeBytes()));
        }
        return sb.toString().stripTrailing();
    }

    private static String slots(ShardsReport.Shard s) {
        return s.firstSlot() + "-" + (s.endSlotExclusive() - 1);
    }

    static String toJson(ClusterStatus status) {
        StringBuilder sb = new StringBuilder("{\"leader\":").append(nodeName(status.leaderId()))
                .append(",\"term\":").append(status.term()).append(",\"nodes\":[");
        for (int i = 0; i < status.members().size(); i++) {
            ClusterStatus.Member m = status.members().get(i);
            sb.append(i == 0 ? "" : ",")
                    .append("{\"id\":").append(nodeName(m.id()))
                    .append(",\"address\":").append(KvJson.quote(m.address()))
                    .append(",\"role\":").append(KvJson.quote(roleName(m.role())))
                    .append(",\"term\":").append(m.term())
                    .append(",\"commit_index\":").append(m.commitIndex())
                    .append(",\"applied_index\":").append(m.appliedIndex())
                    .append('}');
        }
        return sb.append("]}").toString();
    }

    static String toTable(ClusterStatus status) {
        StringBuilder sb = new StringBuilder();
        sb.append(status.leaderId() == 0 ? "no leader" : "leader n" + status.leaderId())
                .append(", term ").append(status.term()).append('\n');
        String row = "%-4s %-22s %-13s %6s %10s %10s%s%n";
        sb.append(String.format(Locale.ROOT, row, "ID", "ADDRESS", "ROLE", "TERM", "COMMIT", "APPLIED", ""));
        for (ClusterStatus.Member m : status.members()) {
            boolean reached = m.role() != ClusterStatus.Role.UNREACHABLE;
            sb.append(String.format(Locale.ROOT, row, m.id() == 0 ? "?" : "n" + m.id(), m.address(),
                    roleName(m.role()), reached ? m.term() : "-", reached ? m.commitIndex() : "-",
                    reached ? m.appliedIndex() : "-", m.error().map(e -> "  " + e).orElse("")));
        }
        return sb.toString().stripTrailing();
    }

    static String roleName(ClusterStatus.Role role) {
        return role.name().toLowerCase(Locale.ROOT);
    }

    private static String nodeName(long id) {
        return id == 0 ? "null" : "\"n" + id + "\"";
    }
}
