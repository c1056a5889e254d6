package io.cairn.cli;

import io.cairn.client.Consistency;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;

/** {@code --consistency linearizable|lease|eventual|bounded:DURATION}, the bound as {@link DurationConverter} reads it. */
public final class ConsistencyConverter implements ITypeConverter<Consistency> {
    public static final String DESCRIPTION = "linearizable (default: confirmed with the leader), lease (the leader's lease,"
            + " no round trip), bounded:DURATION (any replica that can prove it misses no write older than"
            + " DURATION, e.g. bounded:500ms) or eventual (any replica, maybe stale).";
    private static final String BOUNDED = "bounded:";

    @Override
    public Consistency convert(String value) {
        String t = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "linearizable" -> {
                return Consistency.LINEARIZABLE;
            }
            case "lease" -> {
                return Consistency.LEASE;
            }
            case "eventual" -> {
                return Consistency.EVENTUAL;
            }
            default -> {
                if (!t.startsWith(BOUNDED)) {
                    throw new CommandLine.TypeConversionException("unknown consistency '" + value
                            + "'; use linearizable, lease, eventual or bounded:DURATION (e.g. bounded:500ms)");
                }
                try {
                    return Consistency.bounded(new DurationConverter().convert(t.substring(BOUNDED.length())));
                } catch (CommandLine.TypeConversionException | IllegalArgumentException e) {
                    throw new CommandLine.TypeConversionException("'" + value + "': " + e.getMessage()
                            + " (e.g. bounded:500ms)");
                }
            }
        }
    }
}
