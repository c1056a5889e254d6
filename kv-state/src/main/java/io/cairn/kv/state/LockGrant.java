package io.cairn.kv.state;

import io.cairn.common.Bytes;

/** A lock's current grant as a read sees it: its holder, fencing token and expiry (leader time). */
public record LockGrant(Bytes name, Bytes owner, long token, long expiresAtMillis) {}
