package io.cairn.consensus;

import io.cairn.common.NodeId;

/** A point-in-time view of an engine, for hosts, tools and checkers. */
public record Status(NodeId id, Role role, long term, NodeId leader, NodeId votedFor,
                     long commitIndex, long appliedIndex, long lastIndex, long firstIndex,
                     ConfState conf) {}
