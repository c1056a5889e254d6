package io.cairn.cli;

import io.cairn.client.Consistency;
import picocli.CommandLine.ITypeConverter;

/** {@code --consistency linearizable|lease|eventual|bounded:500ms}. */
public final class ConsistencyConverter implements ITypeConverter<Consistency> {
    public static final String DESCRIPTION = "linearizable (default: confirmed with the leader), lease (the leader's lease,"
            + " no round trip), bounded:DURATION (any replica that can prove it misses no write older than"
            + " DURATION, e.g. bounded:500ms) or eventual (any replica, maybe stale).";

    @Override
    public Consistency convert(String value) {
        return Consistency.parse(value);
    }
}
