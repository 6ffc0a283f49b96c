package io.choria.natsoperator.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * External programs some tests run. A missing one FAILS the test with what to install: a test
 * that skips itself when a tool is missing looks green while proving nothing.
 */
public final class Tools {
    private Tools() {}

    public static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, tool)));
    }

    /** Fails (AssertionError) unless {@code tool} is on the PATH, naming what to install. */
    public static void require(String tool, String install) {
        if (!onPath(tool)) {
            throw new AssertionError(tool + " not found on the PATH (" + System.getenv("PATH") + "); this test needs it: " + install);
        }
    }

    public static void requireOpenssl() {
        require("openssl", "apt-get install -y openssl (or run .ci/run)");
    }

    public static void requireNatsServer() {
        require("nats-server", "apt-get install -y nats-server (or run .ci/run)");
    }
}
