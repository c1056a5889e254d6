package io.cairn.sim.kv;

/** What a {@link ClientOp} returned: a {@link KvResult} or, for a lock step's write, a {@link LockResult}. */
public sealed interface OpResult permits KvResult, LockResult, BankResult, AggResult, TxnRoundResult {}
