package io.choria.natsoperator.model;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go-style durations as nats.conf takes them ("30s", "1m30s", "500ms"). */
public final class Durations {
    private static final Pattern PART = Pattern.compile("([0-9]+)(ms|s|m|h)");

    private Durations() {}

    public static long millis(String d) {
        if (d == null || d.isEmpty()) throw new IllegalArgumentException("empty duration");
        Matcher m = PART.matcher(d);
        long total = 0;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) throw new IllegalArgumentException("not a duration: " + d);
            try {
                long n = Long.parseLong(m.group(1));
                total = Math.addExact(total, Math.multiplyExact(n, switch (m.group(2)) {
                    case "ms" -> 1L;
                    case "s" -> 1000L;
                    case "m" -> 60_000L;
                    default -> 3_600_000L;
                }));
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException("duration too long: " + d);
            }
            end = m.end();
        }
        if (end != d.length()) throw new IllegalArgumentException("not a duration: " + d + " (use e.g. 30s, 1m, 500ms)");
        return total;
    }

    public static long seconds(String d) {
        return (millis(d) + 999) / 1000;
    }
}
