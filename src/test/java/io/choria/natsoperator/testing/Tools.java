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

    /** Set by the fast profile ({@code mvn test -Pfast}), which runs only the tests not marked {@link External}. */
    public static final String FAST_RUN_PROPERTY = "tests.fast";

    /**
     * Fails (AssertionError) unless {@code tool} is on the PATH, naming what to install. The tools asked for here
     * (nats-server, puppetserver, unshare, ip) are what makes a test {@link External}: in the fast run such a test
     * fails, saying so, instead of running where it should not.
     */
    public static void require(String tool, String install) {
        if (Boolean.getBoolean(FAST_RUN_PROPERTY)) {
            throw new AssertionError("this test runs " + tool + " (root, namespaces, brokers or Puppet Server): mark its class @External,"
                    + " so that the fast run (-Pfast) leaves it out and the full run keeps it");
        }
        requireOnPath(tool, install);
    }

    /** openssl needs no root and starts no server: the fast run keeps the tests that use it. */
    public static void requireOpenssl() {
        requireOnPath("openssl", "apt-get install -y openssl (or run .ci/run)");
    }

    /**
     * ruby (Debian's, a dependency of puppetserver) runs examples/puppet/nats-autosign-policy: like openssl it needs
     * no root and starts no server, so the fast run keeps the tests that use it.
     */
    public static void requireRuby() {
        requireOnPath("ruby", "apt-get install -y ruby (or run .ci/setup)");
    }

    private static void requireOnPath(String tool, String install) {
        if (!onPath(tool)) {
            throw new AssertionError(tool + " not found on the PATH (" + System.getenv("PATH") + "); this test needs it: " + install);
        }
    }

    public static void requireNatsServer() {
        require("nats-server", "apt-get install -y nats-server (or run .ci/run)");
    }
}
