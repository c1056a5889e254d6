package io.cairn.client;

import io.cairn.api.proto.ClusterGrpc;
import io.cairn.api.proto.NodeStatus;
import io.cairn.api.proto.StatusRequest;
import io.cairn.api.proto.StatusResponse;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Builds a {@link ClusterStatus} from each member's report of itself. Round one asks every
 * configured endpoint at once; round two asks the members that the answers list and that were
 * not asked yet. Each member gets one attempt that may last until the request's deadline: a
 * status report is a snapshot, and a member that does not answer is reported as unreachable.
 */
final class StatusCollector {
    /** The group whose status is reported; 0 asks for the node's default (today its only data group). */
    static final long GROUP_DEFAULT = 0;

    private final Endpoints endpoints;
    private final Retrier retrier;

    StatusCollector(Endpoints endpoints, Retrier retrier) {
        this.endpoints = endpoints;
        this.retrier = retrier;
    }

    /** One address's answer or failure. */
    private record Answer(String address, StatusResponse response, Throwable error) {}

    CompletableFuture<ClusterStatus> collect(long groupId, long deadlineNanos, long timeoutMillis) {
        StatusRequest request = StatusRequest.newBuilder().setGroupId(groupId).build();
        Map<String, CompletableFuture<Answer>> asked = new LinkedHashMap<>();
        for (String address : endpoints.configured()) {
            asked.put(address, ask(address, request, deadlineNanos));
        }
        return allOf(asked).thenCompose(firstRound -> {
            TreeMap<Long, String> members = membersListed(firstRound);
            Map<String, CompletableFuture<Answer>> more = new LinkedHashMap<>();
            members.values().forEach(a -> {
                if (!asked.containsKey(a)) {
                    more.put(a, ask(a, request, deadlineNanos));
                }
            });
            return allOf(more).thenApply(secondRound -> {
                List<Answer> all = new ArrayList<>(firstRound);
                all.addAll(secondRound);
                return assemble(all, membersListed(all), timeoutMillis);
            });
        });
    }

    private CompletableFuture<Answer> ask(String address, StatusRequest request, long deadlineNanos) {
        return retrier.once(address, ClusterGrpc.getStatusMethod(), request, deadlineNanos)
                .handle((response, error) -> new Answer(address, error == null ? response : null, error));
    }

    private static CompletableFuture<List<Answer>> allOf(Map<String, CompletableFuture<Answer>> futures) {
        return CompletableFuture.allOf(futures.values().toArray(CompletableFuture[]::new))
                .thenApply(v -> futures.values().stream().map(CompletableFuture::join).toList());
    }

    /** Every member any answer lists, by id. */
    private static TreeMap<Long, String> membersListed(List<Answer> answers) {
        TreeMap<Long, String> members = new TreeMap<>();
        for (Answer a : answers) {
            if (a.response() != null) {
                a.response().getNodesList().forEach(n -> {
                    if (n.getId() != 0 && !n.getAddress().isEmpty()) {
                        members.putIfAbsent(n.getId(), n.getAddress());
                    }
                });
            }
        }
        return members;
    }

    private static ClusterStatus assemble(List<Answer> answers, TreeMap<Long, String> listed, long timeoutMillis) {
        Map<String, Answer> byAddress = new LinkedHashMap<>();
        answers.forEach(a -> byAddress.putIfAbsent(a.address(), a));
        if (byAddress.values().stream().allMatch(a -> a.response() == null)) {
            throw unavailable(byAddress, timeoutMillis);
        }
        TreeMap<Long, ClusterStatus.Member> known = new TreeMap<>();
        List<ClusterStatus.Member> anonymous = new ArrayList<>();
        for (Answer a : byAddress.values()) {
            if (a.response() == null) {
                continue;
            }
            Optional<NodeStatus> self = selfReport(a);
            if (self.isPresent()) {
                NodeStatus n = self.get();
                known.put(n.getId(), new ClusterStatus.Member(n.getId(), a.address(), role(n.getRole()), n.getTerm(),
                        n.getCommitIndex(), n.getAppliedIndex(), Optional.empty(), n.getHttpAddress()));
            } else {
                anonymous.add(new ClusterStatus.Member(0, a.address(), ClusterStatus.Role.UNKNOWN,
                        a.response().getTerm(), 0, 0, Optional.of("its answer does not describe " + a.address())));
            }
        }
        listed.forEach((id, address) -> {
            if (!known.containsKey(id)) {
                Answer a = byAddress.get(address);
                String error = a == null || a.error() == null ? "not asked" : describe(a.error());
                known.put(id, unreachable(id, address, error));
            }
        });
        List<ClusterStatus.Member> members = new ArrayList<>(known.values());
        members.addAll(anonymous);
        for (Answer a : byAddress.values()) {
            boolean described = members.stream().anyMatch(m -> m.address().equals(a.address()));
            if (a.response() == null && !described) {
                members.add(unreachable(0, a.address(), describe(a.error())));
            }
        }
        return new ClusterStatus(leaderOf(members), maxTerm(members, answers), members);
    }

    /** The entry an answer gives about the node that sent it: the one with the address asked. */
    private static Optional<NodeStatus> selfReport(Answer a) {
        List<NodeStatus> nodes = a.response().getNodesList();
        for (NodeStatus n : nodes) {
            if (n.getAddress().equals(a.address())) {
                return Optional.of(n);
            }
        }
        if (nodes.size() == 1) {
            return Optional.of(nodes.get(0));
        }
        // A node reports its own role and indexes, and only addresses for the others.
        List<NodeStatus> withRole = nodes.stream().filter(n -> n.getRole() != io.cairn.api.proto.Role.ROLE_UNSPECIFIED)
                .toList();
        return withRole.size() == 1 ? Optional.of(withRole.get(0)) : Optional.empty();
    }

    /** The member that says it leads, in the highest term; 0 when none does. */
    private static long leaderOf(List<ClusterStatus.Member> members) {
        long leader = 0;
        long leaderTerm = -1;
        for (ClusterStatus.Member m : members) {
            if (m.role() == ClusterStatus.Role.LEADER && m.term() > leaderTerm) {
                leader = m.id();
                leaderTerm = m.term();
            }
        }
        return leader;
    }

    private static long maxTerm(List<ClusterStatus.Member> members, List<Answer> answers) {
        long term = 0;
        for (ClusterStatus.Member m : members) {
            term = Math.max(term, m.term());
        }
        for (Answer a : answers) {
            if (a.response() != null) {
                term = Math.max(term, a.response().getTerm());
            }
        }
        return term;
    }

    private static ClusterStatus.Member unreachable(long id, String address, String error) {
        return new ClusterStatus.Member(id, address, ClusterStatus.Role.UNREACHABLE, 0, 0, 0, Optional.of(error));
    }

    private static ClusterStatus.Role role(io.cairn.api.proto.Role role) {
        return switch (role) {
            case ROLE_LEADER -> ClusterStatus.Role.LEADER;
            case ROLE_FOLLOWER -> ClusterStatus.Role.FOLLOWER;
            case ROLE_CANDIDATE -> ClusterStatus.Role.CANDIDATE;
            case ROLE_PRE_CANDIDATE -> ClusterStatus.Role.PRE_CANDIDATE;
            case ROLE_NONE -> ClusterStatus.Role.NONE;
            default -> ClusterStatus.Role.UNKNOWN;
        };
    }

    private static String describe(Throwable error) {
        if (error instanceof IllegalStateException) {
            return error.getMessage();
        }
        return ErrorDetails.describe(Status.fromThrowable(error));
    }

    private static CairnUnavailableException unavailable(Map<String, Answer> byAddress, long timeoutMillis) {
        List<String> tried = new ArrayList<>(byAddress.keySet());
        StringBuilder errors = new StringBuilder();
        Throwable last = null;
        for (Answer a : byAddress.values()) {
            errors.append(errors.length() == 0 ? "" : "; ").append(a.address()).append(": ").append(describe(a.error()));
            last = a.error();
        }
        if (last instanceof IllegalStateException closed) {
            throw closed;
        }
        return new CairnUnavailableException("cluster status failed: no endpoint answered within " + timeoutMillis
                + " ms; tried " + String.join(", ", tried) + "; errors: " + errors, tried, last);
    }
}
