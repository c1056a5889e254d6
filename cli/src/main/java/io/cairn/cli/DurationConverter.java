package io.cairn.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Reads {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 1d}, or ISO-8601 ({@code PT10S}).
 * A bare number is refused: {@code --ttl 30} could mean seconds or milliseconds, and guessing
 * wrong expires a key 1,000 times too early or too late.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern SIMPLE = Pattern.compile("([0-9]{1,12})(ms|s|m|h|d)");
    private static final Pattern BARE = Pattern.compile("[0-9]{1,12}");

    @Override
    public Duration convert(String value) {
        if (BARE.matcher(value.trim()).matches()) {
            throw new CommandLine.TypeConversionException("'" + value + "' has no unit; write " + value.trim() + "s, "
                    + value.trim() + "ms or " + value.trim() + "m");
        }
        Matcher m = SIMPLE.matcher(value.trim());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(value.trim());
        } catch (DateTimeParseException e) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a duration; use e.g. 500ms, 10s, 2m, 1h");
        }
    }
}
