package io.choria.natsoperator.testing;

import java.nio.file.Path;

/**
 * One real Puppet Server for every test class in the JVM: it takes one to three minutes to start
 * on two busy cores, so the suite starts it once (lazily) and its shutdown hook stops it.
 * Policy autosigning signs a CSR carrying {@link #CHALLENGE} at once and leaves any other waiting
 * for {@code puppetserver ca sign}; certificate_statuses is open to {@link #STATUS_CLIENT} and to
 * every broker certname the operator makes ({@code <name>.<namespace>.nats-<8 hex>}).
 */
public final class SharedPuppet {
    public static final String CHALLENGE = "enrol-me-7";
    public static final String STATUS_CLIENT = "nats-operator";
    /** The auth.conf rule an operator's README tells Puppet admins to add (a trapperkeeper regex). */
    public static final String BROKER_CERTNAMES = "/nats-[0-9a-f]{8}$/";
    private static PuppetServer server;

    private SharedPuppet() {}

    public static synchronized PuppetServer get() throws Exception {
        if (server == null || !server.isAlive()) {
            server = PuppetServer.start(Path.of("target/puppet-shared"), PuppetServer.Options.defaults()
                    .autosignChallenge(CHALLENGE).allowStatusClient(STATUS_CLIENT).allowStatusClient(BROKER_CERTNAMES));
            System.out.println("[puppet] puppetserver up on " + server.url() + " after " + server.startupTime().toMillis() + " ms");
        }
        return server;
    }
}
