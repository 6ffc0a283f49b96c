package io.choria.natsoperator.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs {@code render} in-process for tests in other packages, capturing its output. Its error
 * stream is its own, not a swapped System.err: a log line from another test's operator thread
 * still winding down must not be taken for render's.
 */
public final class RenderCommandAccess {
    public record Result(int exit, String out, String err) {}

    private RenderCommandAccess() {}

    public static Result render(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit;
        try {
            exit = RenderCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), errStream);
        } catch (Main.UsageException e) {
            exit = 2;
            errStream.println("render: " + e.getMessage());
        }
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
